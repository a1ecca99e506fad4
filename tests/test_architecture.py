"""The module layout (issue 15): no import cycles, and nothing below actions/ and cli/ imports them.

The import graph is read with ``ast`` over every module of villagectl/, imports inside functions
included (a deferred import is still a dependency, and a cycle hidden in a function is still a cycle).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "villagectl"

# modules that may sit outside actions/ and cli/ and still drive them: the entry point and the demo village
ENTRY_POINTS = ("villagectl.__main__", "villagectl.samples", "villagectl.demo")
UPPER = ("villagectl.actions", "villagectl.cli")

# issue 15: scoring/town.py — the roll-up's village summary moves out of actions/rollup.py (the lead removes this)
KNOWN = {frozenset({"villagectl.render.rollup", "villagectl.actions.rollup"})}


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    mods: dict[str, Path] = {}
    for p in root.rglob("*.py"):
        name = ".".join(p.relative_to(root.parent).with_suffix("").parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        mods[name] = p
    graph: dict[str, set[str]] = {}
    for name, p in mods.items():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        package = name if p.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from . import x / from ..ledger import y
                    parts = package.split(".")
                    parts = parts[: len(parts) - (node.level - 1)]
                    base = ".".join(parts + ([base] if base else []))
                if not base.startswith("villagectl"):
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    deps.add(full if full in mods else base)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("villagectl"))
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _below_upper(module: str) -> bool:
    return not module.startswith(UPPER) and not module.startswith(ENTRY_POINTS)


def test_the_graph_sees_function_level_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "villagectl"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("def f():\n    from villagectl.a.y import g\n")
    (pkg / "a" / "y.py").write_text("from villagectl.a import x\n")
    graph = module_graph(pkg)
    assert graph["villagectl.a.x"] == {"villagectl.a.y"}
    assert graph["villagectl.a.y"] == {"villagectl.a.x"}
    assert cycles(graph) == [{"villagectl.a.x", "villagectl.a.y"}]


def test_no_import_cycles() -> None:
    found = [c for c in cycles(module_graph()) if frozenset(c) not in KNOWN]
    assert found == [], f"import cycles: {found}"


def test_nothing_below_actions_and_cli_imports_them() -> None:
    graph = module_graph()
    bad = sorted(
        (m, d) for m, deps in graph.items() for d in deps
        if _below_upper(m) and d.startswith(UPPER) and frozenset({m, d}) not in KNOWN
    )
    assert bad == [], "core modules importing actions/ or cli/: " + ", ".join(f"{m} → {d}" for m, d in bad)


def test_the_importers_protocol_is_shared() -> None:
    """Every importer names its header meanings with importers/fields.py (户号/户主/组别 defined once)."""
    from villagectl.importers import cadre, events, fields, inspection, inspection_form, redeem_day, roster, votes

    for module in (roster, events, redeem_day, votes):
        specs = {f.name: f for f in module.FIELDS}
        for shared in (fields.HOUSEHOLD_ID_FIELD, fields.HEAD_FIELD, fields.GROUP_FIELD):
            assert specs[shared.name].synonyms == shared.synonyms, (module.__name__, shared.name)
    for module in (roster, events, redeem_day, votes, cadre, inspection, inspection_form):
        assert callable(module.identify) and callable(module.extract), module.__name__
        assert module.FIELDS, module.__name__
