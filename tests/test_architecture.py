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
ENTRY_POINTS = ("villagectl.__main__", "villagectl.demo")
UPPER = ("villagectl.actions", "villagectl.cli")

KNOWN: set[frozenset[str]] = set()  # import cycles still to break (none left)


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


def test_every_importer_takes_the_same_household_wordings() -> None:
    """户籍编号 was the roster's only, 被评户 the tally's only …: now every importer reads each wording alike."""
    from villagectl.importers import events, fields, redeem_day, roster, votes
    from villagectl.importers.table import match_field

    for module in (roster, events, redeem_day, votes):
        for shared in (fields.HOUSEHOLD_ID_FIELD, fields.HEAD_FIELD, fields.GROUP_FIELD):
            for wording in (shared.name,) + shared.synonyms:
                assert match_field(wording, module.FIELDS) == shared.name, (module.__name__, wording)
    assert match_field("户籍编号", events.FIELDS) == "户号"
    assert match_field("被评户", redeem_day.FIELDS) == "户主"
    assert match_field("所属网格", votes.FIELDS) == "组别"


def test_identify_tells_the_kinds_of_sheet_apart() -> None:
    from villagectl.importers import cadre, events, redeem_day, roster, votes
    from villagectl.io.reader import SheetRows, WorkbookRows

    def book(*rows: list) -> WorkbookRows:
        width = max(len(r) for r in rows)
        return WorkbookRows(Path("x.xlsx"), [SheetRows("Sheet1", [list(r) + [""] * (width - len(r)) for r in rows])])

    kinds = {
        "roster": book(["户编号", "户主姓名", "村民小组", "家庭人口"], ["ZP001", "张三", "第一组", 3]),
        "events": book(["户号", "户主", "项目", "积分", "日期"], ["ZP001", "张三", "见义勇为", 5, "2026-07-01"]),
        "day": book(["日期", "户号", "户主", "物品", "数量"], ["2026-07-01", "ZP001", "张三", "洗衣粉", 1]),
        "votes": book(["户号", "户主", "投票数", "不合格票"], ["ZP001", "张三", 30, 2]),
        "cadre": book(["姓名", "优秀", "称职", "基本称职", "不称职"], ["李四", 20, 5, 1, 0]),
    }
    assert roster.identify(kinds["roster"]) == 4
    assert events.identify(kinds["events"]) == 5 and events.identify(kinds["roster"]) == 0
    assert redeem_day.identify(kinds["day"]) == 5 and redeem_day.identify(kinds["events"]) == 0
    assert votes.identify(kinds["votes"]) == 4 and votes.identify(kinds["day"]) == 0
    assert cadre.identify(kinds["cadre"]) == 1 and cadre.identify(kinds["roster"]) == 0
