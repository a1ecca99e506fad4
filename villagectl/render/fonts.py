"""Fonts for the printed documents: which font, and whether it has every character.

The default font is the PyPI package ``noto-cjk-sans-otc`` (family "Noto Sans CJK SC");
``--font`` (or 参数 字体, checked by ``typst_engine.setting_path``) may name another font
file or folder. :func:`resolve_font` picks the Chinese family out of it; :func:`check_glyphs`
looks every character of a document up in the font's character map before compiling (typst
would print a box and say nothing); ``_font_dirs`` gives typst the font files only.
"""

from __future__ import annotations

import bisect
import os
import re
import shutil
import struct
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import typst

from villagectl.errors import DataError

FONT_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc"}
DEFAULT_FONT_PACKAGE = "noto-cjk-sans-otc"

FONT_HINT = (
    f"请安装默认中文字体：pip install {DEFAULT_FONT_PACKAGE}；"
    "或用 --font 指定一个中文字体文件或文件夹（例如 Windows 的 C:\\Windows\\Fonts\\msyh.ttc 或 simsun.ttc）"
)

# Characters every Chinese font for our documents must have (used to pick the
# family out of a font file or folder).
_PROBE = "中文积分公示户主组别总分奖励备注第页共年月日村委会"


def _system_font_dirs() -> list[Path]:
    dirs = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path("/Library/Fonts"),
            Path("/System/Library/Fonts")]
    windir = os.environ.get("WINDIR") or os.environ.get("SystemRoot")
    if windir:
        dirs.append(Path(windir) / "Fonts")
    local = os.environ.get("LOCALAPPDATA")
    if local:
        dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    return dirs


class _CharMap:
    """Which code points a font face maps to a real glyph (its 'cmap' table)."""

    def __init__(self, data: bytes):
        self._ranges: list[tuple[int, int, int]] = []  # (start, end, start_glyph) — format 12/13
        self._fmt13 = False
        self._fmt4: tuple[bytes, int, list[int], list[int], list[int], list[int]] | None = None
        self._parse(data)

    def _parse(self, data: bytes) -> None:
        _, count = struct.unpack_from(">HH", data, 0)
        best: tuple[int, int] | None = None  # (rank, offset)
        for i in range(count):
            pid, eid, off = struct.unpack_from(">HHI", data, 4 + 8 * i)
            if off + 2 > len(data):
                continue
            fmt = struct.unpack_from(">H", data, off)[0]
            unicode_table = pid == 0 or (pid == 3 and eid in (1, 10))
            if not unicode_table:
                continue
            rank = {12: 0, 13: 1, 4: 2}.get(fmt)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, off)
        if best is None:
            return
        rank, off = best
        if rank in (0, 1):
            n = struct.unpack_from(">I", data, off + 12)[0]
            groups = struct.iter_unpack(">III", data[off + 16 : off + 16 + 12 * n])
            self._ranges = sorted(groups)
            self._fmt13 = rank == 1
            self._starts = [g[0] for g in self._ranges]
        else:
            seg2 = struct.unpack_from(">H", data, off + 6)[0]
            seg = seg2 // 2
            ends = list(struct.unpack_from(f">{seg}H", data, off + 14))
            starts = list(struct.unpack_from(f">{seg}H", data, off + 16 + seg2))
            deltas = list(struct.unpack_from(f">{seg}h", data, off + 16 + 2 * seg2))
            ro_pos = off + 16 + 3 * seg2
            ros = list(struct.unpack_from(f">{seg}H", data, ro_pos))
            self._fmt4 = (data, ro_pos, ends, starts, deltas, ros)

    def has(self, cp: int) -> bool:
        if self._ranges:
            i = bisect.bisect_right(self._starts, cp) - 1
            if i < 0:
                return False
            start, end, glyph = self._ranges[i]
            if cp > end:
                return False
            return (glyph if self._fmt13 else glyph + cp - start) != 0
        if self._fmt4 is not None:
            data, ro_pos, ends, starts, deltas, ros = self._fmt4
            i = bisect.bisect_left(ends, cp)
            if i >= len(ends) or starts[i] > cp:
                return False
            if ros[i] == 0:
                return (cp + deltas[i]) & 0xFFFF != 0
            addr = ro_pos + 2 * i + ros[i] + 2 * (cp - starts[i])
            if addr + 2 > len(data):
                return False
            g = struct.unpack_from(">H", data, addr)[0]
            return g != 0 and (g + deltas[i]) & 0xFFFF != 0
        return False


@lru_cache(maxsize=32)
def _char_map(path: str, index: int, _mtime_ns: int) -> _CharMap:
    with open(path, "rb") as fh:
        head = fh.read(12)
        offset = 0
        if head[:4] == b"ttcf":
            count = struct.unpack_from(">I", head, 8)[0]
            if index >= count:
                raise ValueError("font index out of range")
            fh.seek(12 + 4 * index)
            offset = struct.unpack(">I", fh.read(4))[0]
        fh.seek(offset)
        header = fh.read(12)
        tables = struct.unpack_from(">H", header, 4)[0]
        records = fh.read(16 * tables)
        for i in range(tables):
            tag, _, toff, tlen = struct.unpack_from(">4sIII", records, 16 * i)
            if tag == b"cmap":
                fh.seek(toff)
                return _CharMap(fh.read(tlen))
    raise ValueError("font has no cmap table")


def char_map(path: Path | str, index: int = 0) -> _CharMap:
    st = os.stat(path)
    return _char_map(str(path), index, st.st_mtime_ns)


@dataclass(frozen=True)
class FontChoice:
    """The font a document is set in."""

    family: str  # the typst family name, e.g. "Noto Sans CJK SC"
    font_paths: tuple[Path, ...]  # what compile_pdf gets (font files or folders)
    face_path: Path  # the regular face whose character map is checked
    face_index: int

    def missing_chars(self, text: str) -> list[str]:
        cmap = char_map(self.face_path, self.face_index)
        return sorted((ch for ch in set(text) if not _ignorable(ch) and not cmap.has(ord(ch))), key=text.index)


def _ignorable(ch: str) -> bool:
    """Characters that need no glyph: spaces, controls, joiners, variation selectors."""
    if ch.isspace():
        return True
    cp = ord(ch)
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return True
    return unicodedata.category(ch) in ("Cc", "Cf")


@contextmanager
def _font_dirs(font_paths: list[Path] | tuple[Path, ...]) -> Iterator[list[str]]:
    """typst only searches folders: put single font files into a temp folder."""
    dirs: list[str] = []
    tmp: str | None = None
    try:
        for p in font_paths:
            p = Path(p)
            if p.is_dir():
                dirs.append(str(p))
            elif p.is_file():
                if tmp is None:
                    tmp = tempfile.mkdtemp(prefix="villagectl-fonts-")
                    dirs.append(tmp)
                link = Path(tmp) / f"{len(os.listdir(tmp))}{p.suffix.lower()}"
                try:
                    os.symlink(p.resolve(), link)
                except (OSError, NotImplementedError):
                    try:
                        os.link(p, link)
                    except OSError:
                        shutil.copyfile(p, link)
            else:
                raise DataError(f"找不到字体文件或文件夹 {p}", hint=FONT_HINT)
        yield dirs
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _family_rank(family: str) -> tuple[int, str]:
    f = family.lower()
    score = 50
    if re.search(r"\b(sc|gb|cn|prc)\b", f) or "simplified" in f:
        score -= 30
    if any(k in f for k in ("yahei", "simsun", "simhei", "dengxian", "kaiti", "fangsong", "source han", "wenquanyi", "noto")):
        score -= 10
    if re.search(r"\b(jp|kr|tc|hk|tw|japanese|korean)\b", f):
        score += 30
    if "mono" in f or re.search(r"\bui\b", f):
        score += 5
    return score, family


def _list_faces(font_paths: list[Path]) -> list["_Face"]:
    with _font_dirs(font_paths) as dirs:
        infos = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=dirs).fonts()
        # A single font file sits in a temp folder (as a link or a copy) that
        # disappears after this block: map each face back to the original file.
        faces = []
        for info in infos:
            path = Path(os.path.realpath(info.path)) if info.path else None
            faces.append((info, path))
    out = []
    for info, path in faces:
        if path is not None and not path.exists():
            path = _original_for(path, font_paths)
        out.append(_Face(info.family, info.style, info.weight, path, info.index))
    return out


@dataclass(frozen=True)
class _Face:
    family: str
    style: str
    weight: int
    path: Path | None
    index: int


def _original_for(linked: Path, font_paths: list[Path]) -> Path | None:
    files = [Path(p) for p in font_paths if Path(p).is_file()]
    try:
        return files[int(linked.stem)]
    except (ValueError, IndexError):
        return None


def resolve_font(font: Path | str | None = None) -> FontChoice:
    """Pick the Chinese font family: the ``noto-cjk-sans-otc`` package, or ``font``.

    ``font`` may be a font file (.ttf/.otf/.ttc/.otc) or a folder of them.
    Raises DataError (in Chinese, saying how to get a font) when no face with
    Chinese characters is found.
    """
    if font is None or str(font).strip() == "":
        try:
            import noto_cjk_sans_otc
        except ImportError:
            raise DataError("没有找到打印用的中文字体", hint=FONT_HINT) from None
        path = Path(str(noto_cjk_sans_otc.FONT_PATH))
        if not path.is_file():
            raise DataError(f"中文字体文件 {path} 不见了（{DEFAULT_FONT_PACKAGE} 安装不完整）", hint=FONT_HINT)
        paths = [path]
        source = f"{DEFAULT_FONT_PACKAGE}（{path.name}）"
    else:
        path = Path(font).expanduser()
        if not path.exists():
            raise DataError(f"找不到字体文件或文件夹 {path}", hint=FONT_HINT)
        if path.is_file() and path.suffix.lower() not in FONT_SUFFIXES:
            raise DataError(f"{path.name} 不是字体文件（应为 .ttf、.otf、.ttc 或 .otc）", hint=FONT_HINT)
        paths = [path]
        source = str(path)
    return _choose(tuple(paths), source)


@lru_cache(maxsize=8)
def _choose(paths: tuple[Path, ...], source: str) -> FontChoice:
    faces = _list_faces(list(paths))
    if not faces:
        raise DataError(f"{source} 里没有可用的字体", hint=FONT_HINT)
    candidates: list[tuple[tuple, _Face]] = []
    for face in faces:
        if face.path is None or face.style != "normal":
            continue
        try:
            cmap = char_map(face.path, face.index)
        except (OSError, ValueError, struct.error):
            continue
        if all(cmap.has(ord(c)) for c in _PROBE):
            candidates.append(((_family_rank(face.family), abs(face.weight - 400)), face))
    if not candidates:
        raise DataError(f"{source} 里没有中文字体（找到的字体不含常用汉字，打印出来会是方框）", hint=FONT_HINT)
    candidates.sort(key=lambda c: c[0])
    best = candidates[0][1]
    return FontChoice(best.family, paths, best.path, best.index)


def check_glyphs(source: str, font: FontChoice) -> None:
    """Stop before printing boxes: every character must be in the chosen font."""
    missing = font.missing_chars(source)
    if not missing:
        return
    shown = "、".join(f"“{c}”（U+{ord(c):04X}）" for c in missing[:10])
    more = f"等 {len(missing)} 个字符" if len(missing) > 10 else ""
    places = []
    for c in missing[:5]:
        for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', source):
            if c in m.group(1):
                places.append("“" + m.group(1).replace('\\"', '"').replace("\\\\", "\\")[:30] + "”")
                break
    where = f"，出现在 {'、'.join(places)}" if places else ""
    raise DataError(
        f"字体 {font.family} 没有 {shown}{more}{where}，打印出来会是方框，所以没有生成 PDF",
        hint="用 --font 指定含有这些字的字体（例如 Windows 的 simsun.ttc 或 simsunb.ttf），或到台账里核对这些文字是否录错",
    )
