"""The household passbook (积分存折, in the style of a 行为银行存折), as a PDF.

The renderer gets only what is printed: the household's number, head, group,
member counts, its journal lines with the reasons already in plain words, and
the totals. It never receives ID-card or phone numbers (the dataclasses have
no such fields).

Printing many passbooks (``passbook --all``) goes through ``PassbookPrinter``:
one jinja2 environment, one font check and one typst compiler (fonts loaded
once) for every household, which is what makes 3,000 passbooks take seconds
instead of minutes.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from villagectl.errors import DataError, FileAccessError, UsageError
from villagectl.ledger.passbook import Passbook  # what is printed (the renderer's view model)

# jinja2, typst and render.typst_engine are imported where a passbook is printed: the passbook's data
# classes are imported by commands that print nothing (check, transfer out, balance)

TEMPLATE = "passbook.typ.j2"
PAPERS = {"A5": "a5", "A4": "a4"}


@dataclass(frozen=True)
class PassbookStyle:
    """What a village may set: the title, paper, the yuan a point is worth, the signature line."""

    title: str = ""  # default: "<村名>积分存折"
    paper: str = "A5"
    yuan_per_point: float = 1.0
    committee: str = ""  # default: "<村名>村民委员会"
    operator: str = ""


def paper_name(value: str | None) -> str:
    text = (value or "A5").strip().upper()
    if text not in PAPERS:
        raise UsageError(f"纸张“{value}”不认识，只能是 A5 或 A4")
    return text


def signed(points: float) -> str:
    """+3, -10, 0 (the points column of a passbook)."""
    text = _num(points)
    if text in ("", "0"):
        return text
    return text if text.startswith("-") else "+" + text


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    rounded = round(float(value), 4)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.4f}".rstrip("0").rstrip(".")


def passbook_context(book: Passbook, style: PassbookStyle) -> dict[str, Any]:
    """The variables the template gets (see templates/README.md)."""
    paper = paper_name(style.paper)
    title = style.title or f"{book.village}积分存折"
    show_members = any(line.member for line in book.lines)
    rows = [
        {
            "entry_id": line.entry_id,
            "date": line.date,
            "kind": line.kind,
            "member": line.member,
            "reason": line.reason,
            "points": signed(line.points),
            "balance": _num(line.balance),
            "earned": line.earned,
        }
        for line in book.lines
    ]
    return {
        "title": title,
        "balance_sum": balance_sum(book),
        "village": book.village,
        "household_id": book.household_id,
        "name": book.name,
        "group": book.group,
        "people": "" if book.people is None else book.people,
        "members": "" if book.members is None else book.members,
        "state": book.state,
        "closed": book.state in ("迁出", "注销"),
        "year": book.year,
        "year_label": f"{book.year}年度" if book.year else "全部记录",
        "printed": book.printed,
        "opening": None if book.opening is None else _num(book.opening),
        "opening_entries": _num(book.opening_entries) if book.opening_entries else "",
        "rows": rows,
        "show_members": show_members,
        "earned": _num(book.earned),
        "spent": _num(book.spent),
        "balance": _num(book.balance),
        "earned_total": _num(book.earned_total),
        "family_total": _num(book.family_total),
        "family_average": "" if book.family_average is None else _num(round(book.family_average, 2)),
        "member_totals": [{"member": m, "earned": _num(p)} for m, p in book.member_totals],
        "paper": PAPERS[paper],
        "yuan_per_point": _num(style.yuan_per_point),
        "committee": style.committee or f"{book.village}村民委员会",
        "operator": style.operator,
    }


def balance_sum(book: Passbook) -> str:
    """How the end balance adds up, in words: '上年结转 0 分 + 期初结转 23 分 + 本年获得 4 分 − 本年兑换 0 分 = 27 分'."""
    yearly = book.year is not None
    terms: list[tuple[str, float]] = []
    if yearly:
        terms.append(("上年结转", book.opening or 0.0))
        if book.opening_entries:
            terms.append(("期初结转", book.opening_entries))
    terms.append(("本年获得" if yearly else "累计获得", book.earned))
    other = round(book.balance - sum(v for _, v in terms) + book.spent, 4)
    text = " + ".join(f"{label} {_num(v)} 分" for label, v in terms)
    text += f" − {'本年' if yearly else '已'}兑换 {_num(book.spent)} 分"
    if abs(other) > 1e-9:  # transfers out (转出) and the like
        text += f" {'−' if other < 0 else '+'} 转出等 {_num(abs(other))} 分"
    return f"{text} = {'年末' if yearly else '可用'}余额 {_num(book.balance)} 分"


def _load_template(env: jinja2.Environment, templates_dir: Path | None) -> jinja2.Template:
    import jinja2

    from villagectl.render.typst_engine import template_dirs

    try:
        return env.get_template(TEMPLATE)
    except jinja2.TemplateNotFound:
        where = "、".join(str(d) for d in template_dirs(templates_dir))
        raise FileAccessError(f"找不到模板 {TEMPLATE}（在 {where} 中查找）") from None
    except jinja2.TemplateSyntaxError as exc:
        raise DataError(
            f"模板 {exc.filename or TEMPLATE} 第 {exc.lineno} 行写法有误：{exc.message}",
            hint="改回原样，或用 villagectl templates export 重新导出默认模板",
        ) from None


class PassbookPrinter:
    """Prints passbooks one after another with one template, one font check and one typst compiler.

    Use as a context manager::

        with PassbookPrinter(style) as printer:
            for book in books:
                printer.print(book, folder / name)
    """

    def __init__(self, style: PassbookStyle, templates_dir: Path | None = None, font: Path | None = None):
        from villagectl.render.typst_engine import make_environment, resolve_font

        self.style = PassbookStyle(**{**style.__dict__, "paper": paper_name(style.paper)})
        self.templates_dir = templates_dir
        self.choice = resolve_font(font)
        self.env = make_environment(templates_dir)
        self.template = _load_template(self.env, templates_dir)
        self._fonts = None
        self._compiler: typst.Compiler | None = None
        self._known_chars: set[str] = set()  # characters already found in the font

    def __enter__(self) -> Self:
        import typst

        from villagectl.render.typst_engine import _font_dirs, typst_root

        self._fonts = _font_dirs(self.choice.font_paths)
        dirs = self._fonts.__enter__()
        self._compiler = typst.Compiler(root=str(typst_root(self.templates_dir)), font_paths=dirs,
                                        ignore_system_fonts=True)
        return self

    def __exit__(self, *exc) -> None:
        self._compiler = None
        if self._fonts is not None:
            self._fonts.__exit__(None, None, None)
            self._fonts = None

    def source(self, book: Passbook) -> str:
        import jinja2

        from villagectl.render.typst_engine import template_security_error

        context = {**passbook_context(book, self.style), "font_family": self.choice.family}
        try:
            return self.template.render(**context)
        except jinja2.exceptions.SecurityError as exc:
            raise template_security_error(self.template.filename or TEMPLATE, exc) from None
        except jinja2.UndefinedError as exc:
            raise DataError(
                f"模板 {self.template.filename or TEMPLATE} 用了不存在的变量：{exc.message}",
                hint="可用的变量见模板文件夹里的 README.md",
            ) from None
        except jinja2.TemplateError as exc:
            raise DataError(f"模板 {self.template.filename or TEMPLATE} 出错：{exc}") from None

    def pdf_bytes(self, book: Passbook) -> bytes:
        import typst

        from villagectl.render.typst_engine import FONT_HINT, _typst_message, check_glyphs

        if self._compiler is None:
            raise RuntimeError("PassbookPrinter must be used as a context manager")
        source = self.source(book)
        new = set(source) - self._known_chars
        if new:
            if self.choice.missing_chars("".join(new)):
                check_glyphs(source, self.choice)  # raises, saying which character and where
            self._known_chars |= new
        try:
            pdf, warnings = self._compiler.compile_with_warnings(input=source.encode("utf-8"), format="pdf")
        except typst.TypstError as exc:
            raise DataError(
                f"排版 {book.household_id} {book.name} 的存折失败：{_typst_message(exc)}",
                hint="如果你改过模板，请检查改动或用 villagectl templates export 重新导出默认模板",
            ) from None
        for w in warnings:
            text = str(getattr(w, "message", w))
            if "unknown font family" in text:
                family = text.split(":", 1)[-1].strip()
                raise DataError(f"字体 {family} 不在所给的字体里，没有生成 PDF（否则中文会印成方框）", hint=FONT_HINT)
        if isinstance(pdf, list):  # pragma: no cover - pdf output is one document
            pdf = pdf[0]
        return pdf

    def print(self, book: Passbook, out_pdf: Path, durable: bool = True) -> Path:
        """Write the PDF atomically (temp file + rename). ``durable`` also fsyncs it: one passbook,
        yes; a batch of 3,000 that can be printed again, no (the rename still never leaves half a file)."""
        from villagectl.render.typst_engine import write_atomically

        data = self.pdf_bytes(book)
        if durable:
            write_atomically(Path(out_pdf), data)
        else:
            _replace_quickly(Path(out_pdf), data)
        return Path(out_pdf)


def _replace_quickly(path: Path, data: bytes) -> None:
    from villagectl.render.typst_engine import write_atomically

    write_atomically(path, data, durable=False)  # the one writer, without the fsyncs


def render_passbook(
    book: Passbook,
    out_pdf: Path,
    style: PassbookStyle | None = None,
    templates_dir: Path | None = None,
    font: Path | None = None,
) -> Path:
    """Print one passbook to ``out_pdf`` (written atomically); return the path."""
    with PassbookPrinter(style or PassbookStyle(), templates_dir, font) as printer:
        return printer.print(book, out_pdf)


# --------------------------------------------------------------------------
# Many passbooks at once: worker processes
# --------------------------------------------------------------------------
#
# typst lays out a two-page passbook in about 15 ms, almost all of it the
# table; 3,000 passbooks are 45 s on one core. ``print_many`` splits the work
# over worker processes started with ``python -c`` (not multiprocessing: its
# spawn start method re-runs ``python -m villagectl``'s __main__ in every
# child). Each worker gets its share as a pickle on stdin and reports one JSON
# line per PDF written on stdout.

MIN_PER_WORKER = 150  # below this, starting a worker costs more than it saves
MAX_WORKERS = 4

_WORKER = "from villagectl.render.passbook import _worker_main; _worker_main()"


def default_workers(jobs: int) -> int:
    try:
        cpus = len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS, jobs // MIN_PER_WORKER))


def print_many(
    jobs: list[tuple[Passbook, Path]],
    style: PassbookStyle,
    templates_dir: Path | None = None,
    font: Path | None = None,
    workers: int | None = None,
    on_each: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Print every (passbook, pdf path); return the paths written, in the order they were finished."""
    printer = PassbookPrinter(style, templates_dir, font)  # font and template errors surface here, once
    count = default_workers(len(jobs)) if workers is None else max(1, min(workers, len(jobs) or 1))
    done: list[Path] = []
    if count <= 1:
        with printer:
            for book, path in jobs:
                done.append(printer.print(book, path, durable=False))
                if on_each:
                    on_each(path)
        return done
    shares = [jobs[i::count] for i in range(count)]
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    errs = [tempfile.TemporaryFile() for _ in shares]  # noqa: SIM115 - closed below; a file, not a pipe: a chatty worker never blocks
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=err, env=env)
        for err in errs
    ]
    lines: queue.Queue = queue.Queue()

    def feed(proc: subprocess.Popen, share: list) -> None:
        try:
            pickle.dump((printer.style, templates_dir, font, share), proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.close()
        except OSError:
            pass  # the worker died; its exit code tells

    def read(proc: subprocess.Popen) -> None:
        for raw in proc.stdout:
            lines.put(raw)
        lines.put(None)

    threads = [threading.Thread(target=feed, args=(p, sh), daemon=True) for p, sh in zip(procs, shares)]
    threads += [threading.Thread(target=read, args=(p,), daemon=True) for p in procs]
    for t in threads:
        t.start()
    error: dict | None = None
    finished = 0
    try:
        while finished < len(procs):
            raw = lines.get()
            if raw is None:
                finished += 1
                continue
            try:
                message = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if "ok" in message:
                path = Path(message["ok"])
                done.append(path)
                if on_each:
                    on_each(path)
            elif "error" in message and error is None:
                error = message
                for p in procs:
                    p.kill()
    except BaseException:
        for p in procs:
            p.kill()
        raise
    finally:
        for p in procs:
            p.wait()
    if error is not None:
        kind = {"FileAccessError": FileAccessError, "UsageError": UsageError}.get(error.get("kind"), DataError)
        raise kind(error["error"], hint=error.get("hint", ""))
    failed = [(p, err) for p, err in zip(procs, errs) if p.returncode != 0]
    details = []
    for p, err in zip(procs, errs):
        err.seek(0)
        details.append(err.read().decode("utf-8", "replace").strip().splitlines()[-1:])
        err.close()
    if failed:
        detail = details[procs.index(failed[0][0])]
        raise RuntimeError(f"passbook worker exited with {failed[0][0].returncode}: {' '.join(detail)}")
    return done


def _worker_main() -> None:  # pragma: no cover - runs in the worker processes
    from villagectl.errors import VillageError

    out = sys.stdout.buffer
    style, templates_dir, font, share = pickle.load(sys.stdin.buffer)
    try:
        with PassbookPrinter(style, templates_dir, font) as printer:
            for book, path in share:
                printer.print(book, path, durable=False)
                out.write((json.dumps({"ok": str(path)}) + "\n").encode("utf-8"))
                out.flush()
    except VillageError as exc:
        out.write((json.dumps({"error": exc.message, "hint": exc.hint, "kind": type(exc).__name__}) + "\n").encode("utf-8"))
        out.flush()
        sys.exit(1)
