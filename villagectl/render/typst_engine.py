"""jinja2 templates → typst source → PDF, with a Chinese font that is checked, never guessed.

Three rules keep the printed documents safe (DESIGN §6 "Printed documents"):

- Every value reaches the typst source through the ``t`` filter, which turns it
  into a typst *string literal* (``"…"`` with backslash, quote and control
  characters escaped). Data can therefore never become typst markup: a name
  like ``#set page(width: 1cm)`` prints as those characters.
- The text font is set explicitly with ``fallback: false`` and, before
  compiling, every character of the document is looked up in that font's
  character map. A character the font lacks stops the run with a Chinese
  message (typst itself would print a box and say nothing).
- Only the fonts we pass are used (``ignore_system_fonts=True``), so the same
  data gives the same PDF on every machine. The default font is the PyPI
  package ``noto-cjk-sans-otc`` (family "Noto Sans CJK SC"); ``--font`` may
  point at another font file or folder (Windows' msyh.ttc, simsun.ttc …).

A template the clerk supplies is a program, so it is kept in a box
(docs/safety.md "公式注入与模板"): templates are rendered in jinja2's
``SandboxedEnvironment`` (no ``__globals__``, no ``os``), typst may read
files only inside the template folder (its project root), and a template
folder or font named in the ledger's 参数 sheet (which anyone who can send the
clerk a ledger can fill in) must be on this computer, in the ledger's folder or
the user's own folder (fonts also in the system font folders). Only a folder
given on the command line (``--templates``/``--font``) may be anywhere.

The font (which one, and the character check) is chosen in ``render.fonts``. The PDF is written
atomically (``io.outputs.write_atomically``: a temp file beside the target, fsync, ``os.replace``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import os
import re
import shutil
import sys
import unicodedata
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import typst

import villagectl
from villagectl.errors import DataError, FileAccessError
from villagectl.io.outputs import write_atomically
# fonts live in render.fonts (render.passbook still imports these names from here)
from villagectl.render.fonts import FONT_HINT, _font_dirs, _system_font_dirs, check_glyphs, resolve_font


def _default_templates_dir() -> Path:
    """The repository's templates/ (source and editable installs), else the copy a wheel installs."""
    beside = Path(villagectl.__file__).resolve().parent.parent / "templates"
    if beside.is_dir():
        return beside
    installed = Path(sys.prefix) / "share" / "villagectl" / "templates"
    return installed if installed.is_dir() else beside


DEFAULT_TEMPLATES_DIR = _default_templates_dir()


# --------------------------------------------------------------------------
# The ``t`` filter: any value → a typst string literal
# --------------------------------------------------------------------------


def format_number(value: float | int | decimal.Decimal) -> str:
    """85.0 → "85", 85.5 → "85.5", 0.1 + 0.2 → "0.3" (4 decimals at most)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return "" if value.is_nan() else str(value)
        value = float(value)
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    rounded = round(value, 4)
    if rounded == int(rounded):
        return str(int(rounded))
    text = f"{rounded:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def display_text(value: Any) -> str:
    """What a value looks like on paper (before it is made a typst literal)."""
    if value is None or type(value).__name__ in ("NaTType", "NAType"):  # pandas' missing values
        return ""
    if isinstance(value, (bool, int, float, decimal.Decimal)):
        return format_number(value)
    if isinstance(value, numbers.Real):  # numpy scalars
        return format_number(float(value))
    if isinstance(value, dt.datetime):
        return cn_date(value.date())
    if isinstance(value, dt.date):
        return cn_date(value)
    return str(value)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def typst_string(value: Any) -> str:
    """The ``t`` filter: ``王喆`` → ``"王喆"``; markup characters stay plain text."""
    text = display_text(value)
    # Lone surrogates (from badly decoded files) cannot be written as UTF-8.
    text = text.encode("utf-8", "replace").decode("utf-8")
    out = ['"']
    for ch in text:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029":
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def text_em(text: Any) -> float:
    """How wide a text prints, in em of its own size (CJK and full-width characters 1, ASCII about 0.56).

    Used to give table columns a fixed width where a table is printed in two parts (the last rows are
    kept with the notice's footer): both parts must have the same columns.
    """
    width = 0.0
    for ch in display_text(text):
        width += 0.56 if ord(ch) < 0x2E80 else 1.0
    return width


def column_em(texts: Any, minimum: float = 0.0, inset_em: float = 0.8) -> float:
    """The width in em for a column holding ``texts``: the widest one plus the cell inset (the template writes ``…em``)."""
    widest = max([minimum, *(text_em(t) for t in texts)])
    return round(widest + inset_em + 0.05, 2)


def cn_date(value: dt.date | str | None) -> str:
    """date(2026, 7, 26) → "2026年7月26日"."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_month(value: str | dt.date) -> str:
    """"2026-07" → "2026年7月"."""
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月"
    m = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*", str(value))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise DataError(f"月份“{value}”格式不对，应写成 2026-07 这样的“年-月”")
    return f"{int(m.group(1))}年{int(m.group(2))}月"


# --------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------


def template_dirs(override: Path | None = None) -> list[Path]:
    """Folders searched for templates: the clerk's override folder first."""
    dirs: list[Path] = []
    if override is not None:
        override = Path(override)
        if not override.is_dir():
            raise FileAccessError(f"模板文件夹 {override} 不存在，请检查路径（可用 villagectl templates export 文件夹 导出默认模板）")
        dirs.append(override)
    dirs.append(DEFAULT_TEMPLATES_DIR)
    return dirs


def typst_root(override: Path | None = None) -> Path:
    """The only folder typst may read files from (``#read``, ``#image``): the template folder."""
    return Path(override) if override is not None else DEFAULT_TEMPLATES_DIR


# --------------------------------------------------------------------------
# Template folder and font named in the ledger's 参数 sheet
# --------------------------------------------------------------------------

# \\server\share, //server/share, smb://, file://, http:// …
_NETWORK_PATH = re.compile(r"^(?:[\\/]{2}|[A-Za-z][A-Za-z0-9+.\-]+://)")


def _inside(path: Path, folder: Path) -> bool:
    a, b = os.path.normcase(str(path)), os.path.normcase(str(folder))
    try:
        return os.path.commonpath([a, b]) == b
    except ValueError:  # another drive
        return False


def setting_path(settings: dict[str, str], key: str, ledger_path: Path, font: bool = False) -> Path | None:
    """The path in 参数 ``key`` (模板文件夹 or 字体), refused unless it is local and the clerk's.

    A relative path is taken from the ledger's folder. Refused (DataError, exit
    1): a network path, and a path (after following links) outside the
    ledger's folder and the user's home folder (a font may also be in the
    system font folders).
    """
    value = str(settings.get(key) or "").strip()
    if not value:
        return None
    what = "模板文件夹" if key == "模板文件夹" else "字体"
    flag = "--templates" if key == "模板文件夹" else "--font"
    hint = (f"把{what}复制到台账所在的文件夹（或你自己的用户文件夹）里，再把参数“{key}”改成那里；"
            f"确实要用别处的{what}时，打印时用 {flag} 指定")
    if _NETWORK_PATH.match(value):
        raise DataError(
            f"参数“{key}”填的是网络位置 {value}，为安全起见不使用（{what}可以来自任何人，模板里还能写程序）",
            hint=hint,
        )
    ledger = Path(ledger_path).absolute()
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = ledger.parent / path
    try:
        real = path.resolve()
        allowed = [ledger.parent, ledger.parent.resolve(), ledger.resolve().parent]
        home = Path.home()
        allowed += [home, home.resolve()]
        if font:
            allowed += _system_font_dirs()
    except (OSError, RuntimeError) as exc:
        raise DataError(f"参数“{key}”填的 {value} 无法识别：{exc}", hint=hint) from None
    if not any(_inside(real, folder) for folder in allowed):
        raise DataError(
            f"参数“{key}”填的 {value} 不在台账所在的文件夹 {ledger.parent} 或你的用户文件夹 {home} 里，"
            f"为安全起见不使用（{what}可以来自任何人，模板里还能写程序）",
            hint=hint,
        )
    return path


def printing_paths(
    settings: dict[str, str], ledger_path: Path, templates_dir: Path | None, font: Path | None
) -> tuple[Path | None, Path | None]:
    """The template folder and font for printing: the command line's, else the checked 参数 ones."""
    templates_dir = templates_dir or setting_path(settings, "模板文件夹", ledger_path)
    font = font or setting_path(settings, "字体", ledger_path, font=True)
    return templates_dir, font


def make_environment(override: Path | None = None) -> jinja2.Environment:
    """jinja2 environment producing typst markup; values go through ``| t``.

    Sandboxed: a template (possibly the clerk's, possibly from anyone) can
    reach neither Python internals nor the operating system.
    """
    env = jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(override)], encoding="utf-8"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["t"] = typst_string
    env.filters["cn_date"] = cn_date
    env.filters["cn_month"] = cn_month
    env.filters["num"] = display_text
    return env


def template_security_error(name: str, exc: Exception) -> DataError:
    """A template tried to reach outside the sandbox (Python internals, the operating system)."""
    return DataError(
        f"模板 {name} 里有不允许的写法（{exc}），为安全起见没有打印：模板只能排版台账里的数据，不能运行程序",
        hint="这个模板可能被人改过；用 villagectl templates export 重新导出默认模板，或清空参数“模板文件夹”",
    )


def render_source(template_name: str, context: dict[str, Any], templates_dir: Path | None = None) -> str:
    """Render a template to typst source, with errors the clerk can act on."""
    env = make_environment(templates_dir)
    try:
        template = env.get_template(template_name)
    except jinja2.TemplateNotFound:
        where = "、".join(str(d) for d in template_dirs(templates_dir))
        raise FileAccessError(f"找不到模板 {template_name}（在 {where} 中查找）") from None
    except jinja2.TemplateSyntaxError as exc:
        raise DataError(
            f"模板 {exc.filename or template_name} 第 {exc.lineno} 行写法有误：{exc.message}",
            hint="改回原样，或用 villagectl templates export 重新导出默认模板",
        ) from None
    try:
        return template.render(**context)
    except jinja2.exceptions.SecurityError as exc:
        raise template_security_error(template.filename or template_name, exc) from None
    except jinja2.UndefinedError as exc:
        raise DataError(
            f"模板 {template.filename or template_name} 用了不存在的变量：{exc.message}",
            hint="可用的变量见模板文件夹里的 README.md",
        ) from None
    except jinja2.TemplateError as exc:
        raise DataError(f"模板 {template.filename or template_name} 出错：{exc}") from None


def export_templates(dest: Path, force: bool = False) -> list[Path]:
    """Copy every default template (and the README) into ``dest`` for editing.

    Refuses, before copying anything, when a file of the same name exists in
    ``dest`` unless ``force`` is true.
    """
    dest = Path(dest)
    sources = sorted(p for p in DEFAULT_TEMPLATES_DIR.iterdir() if p.is_file() and not p.name.startswith("."))
    if not sources:
        raise FileAccessError(f"默认模板文件夹 {DEFAULT_TEMPLATES_DIR} 是空的，请重新安装 villagectl")
    if dest.exists() and not dest.is_dir():
        raise FileAccessError(f"{dest} 已存在且不是文件夹，请换一个文件夹")
    existing = [dest / p.name for p in sources if (dest / p.name).exists()]
    if existing and not force:
        names = "、".join(p.name for p in existing)
        raise FileAccessError(
            f"{dest} 里已经有 {names}，为免覆盖你改过的模板，未复制任何文件",
            hint="换一个空文件夹，或确认要覆盖时加 --force",
        )
    copied: list[Path] = []
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for src in sources:
            target = dest / src.name
            write_atomically(target, lambda tmp, src=src: shutil.copyfile(src, tmp), durable=False)
            copied.append(target)
    except OSError as exc:
        raise FileAccessError(f"无法把模板复制到 {dest}：{exc.strerror or exc}") from None
    return copied


# --------------------------------------------------------------------------
# Compiling
# --------------------------------------------------------------------------


def _typst_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    hints = getattr(exc, "hints", None) or []
    text = str(message).strip().splitlines()[0] if str(message).strip() else repr(exc)
    if hints:
        text += "（" + "；".join(str(h) for h in hints[:2]) + "）"
    return text


def compile_pdf(
    typst_source: str,
    out_path: Path,
    font_paths: list[Path],
    timestamp: dt.datetime | int | None = None,
    root: Path | None = None,
) -> Path:
    """Compile typst source to a PDF at ``out_path`` (atomically); return the path.

    ``font_paths`` are font files or folders; no system font is used. A font
    family the source names but that is not among them is an error, not a
    silent fallback. typst reads files only inside ``root`` (default: the
    bundled template folder).
    """
    out_path = Path(out_path)
    with _font_dirs(font_paths) as dirs:
        try:
            pdf, warnings = typst.compile_with_warnings(
                typst_source.encode("utf-8"),
                root=str(root or typst_root()),
                font_paths=dirs,
                ignore_system_fonts=True,
                format="pdf",
                timestamp=timestamp,
            )
        except typst.TypstError as exc:
            raise DataError(
                f"排版失败：{_typst_message(exc)}",
                hint="如果你改过模板，请检查改动或用 villagectl templates export 重新导出默认模板",
            ) from None
        except RuntimeError as exc:  # older bindings raise plain RuntimeError
            raise DataError(f"排版失败：{_typst_message(exc)}") from None
    for w in warnings:
        text = str(getattr(w, "message", w))
        if "unknown font family" in text:
            family = text.split(":", 1)[-1].strip()
            raise DataError(f"字体 {family} 不在所给的字体里，没有生成 PDF（否则中文会印成方框）", hint=FONT_HINT)
    if isinstance(pdf, list):  # pragma: no cover - pdf output is one document
        pdf = pdf[0]
    write_atomically(out_path, pdf)
    return out_path


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    out_path: Path,
    templates_dir: Path | None = None,
    font: Path | None = None,
    timestamp: dt.datetime | int | None = None,
) -> Path:
    """Template + data → checked typst source → PDF. Adds ``font_family`` to the context."""
    choice = resolve_font(font)
    source = render_source(template_name, {**context, "font_family": choice.family}, templates_dir)
    check_glyphs(source, choice)
    return compile_pdf(source, Path(out_path), list(choice.font_paths), timestamp=timestamp,
                       root=typst_root(templates_dir))
