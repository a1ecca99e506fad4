"""Decode and split CSV/TSV text files from clerks and grid workers.

Encodings are recognised, never guessed silently: a UTF-8 BOM, a UTF-16 BOM
(little or big endian), strict UTF-8, then strict GB18030 (a superset of GBK
and GB2312, what Excel and WPS on a Chinese Windows write for "CSV"). A file
that is none of these is refused. The encoding used is returned so callers
can report it.

The delimiter is chosen among comma, tab and semicolon by which one splits the
records into the most rows of the same width. The full-width comma "，" is
never a delimiter: it appears inside Chinese text. Cells are kept exactly as
typed (numbers stay strings; the importers parse them).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from villagectl.errors import DataError, Location, Problem

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
DELIMITERS = (",", "\t", ";")
SAMPLE_BYTES = 64 * 1024  # enough to sniff the encoding and delimiter from a file's head
DEFAULT_MAX_CELLS = 5_000_000  # same as preflight.Limits.max_cells

# the encodings read_csv can report, with how to name them to a clerk
ENCODING_LABELS = {
    "utf-8-sig": "UTF-8（带 BOM）",
    "utf-16-le": "UTF-16 LE（带 BOM）",
    "utf-16-be": "UTF-16 BE（带 BOM）",
    "utf-8": "UTF-8",
    "gb18030": "GBK/GB18030",
}
DELIMITER_LABELS = {",": "逗号", "\t": "制表符", ";": "分号"}

ENCODING_MESSAGE = "无法识别文件编码，请在 Excel/WPS 中另存为“CSV UTF-8”或 xlsx"
BINARY_MESSAGE = (
    "文件含有二进制内容（NUL 字节或控制字符），不是 CSV 文本表格；"
    "请检查是否发错了文件，或在 Excel/WPS 中另存为“CSV UTF-8”或 xlsx"
)
PLAIN_TEXT_MESSAGE = (
    "文件是纯文本，但看不出用逗号、制表符或分号分隔的列，不是 CSV 表格；"
    "请检查是否发错了文件，或在 Excel/WPS 中另存为“CSV UTF-8”或 xlsx"
)

_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# C0 controls a text table never holds (tab, LF, CR, VT, FF and DOS's end-of-file mark 0x1A are allowed)
_BAD_BYTES = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
_BAD_CHARS = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")


@dataclass
class CsvTable:
    rows: list[list[str]]  # padded to equal length; rows[r][c] is Excel cell (c+1, r+1)
    encoding: str  # a key of ENCODING_LABELS
    delimiter: str  # "," "\t" or ";"


def decode(data: bytes, final: bool = True) -> tuple[str, str] | None:
    """Return (encoding, text without BOM), or None if no accepted encoding fits.

    ``final=False`` for a file's head: a multi-byte character cut at the end is fine.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _try(data[len(codecs.BOM_UTF8):], "utf-8-sig", "utf-8", final)
    for bom, name in _UTF16_BOMS:
        if data.startswith(bom):
            return _try(data[len(bom):], name, name, final)
    result = _try(data, "utf-8", "utf-8", final)
    if result:
        return result
    result = _try(data, "gb18030", "gb18030", final)
    if result and _mostly_utf8(data):
        return None  # UTF-8 with a few foreign bytes (a pasted or joined file): GB18030 would be mojibake
    return result


def _mostly_utf8(data: bytes) -> bool:
    """More valid UTF-8 characters than broken bytes (real GBK text is about 1 valid to 6 broken)."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", errors="ignore")) - broken
    return valid > 2 * broken


def _try(data: bytes, label: str, codec: str, final: bool) -> tuple[str, str] | None:
    try:
        return label, codecs.getincrementaldecoder(codec)(errors="strict").decode(data, final=final)
    except UnicodeDecodeError:
        return None


def has_binary_bytes(data: bytes) -> bool:
    """NUL or other control bytes (for any encoding but UTF-16, where NUL bytes are normal)."""
    return _BAD_BYTES.search(data) is not None


def _has_binary_chars(text: str) -> bool:
    return _BAD_CHARS.search(text) is not None


def sniff_delimiter(text: str, max_records: int = 200) -> tuple[str, int]:
    """The delimiter that best splits ``text``, and how many records it splits into the same width (> 1).

    A count below 2 means the text does not look like a table.
    """
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths: list[int] = []
        try:
            for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)):
                if i >= max_records:
                    break
                if len(row) > 1:
                    widths.append(len(row))
        except csv.Error:
            continue
        if not widths:
            continue
        _, same = Counter(widths).most_common(1)[0]
        score = (same, len(widths))
        if score > best_score:
            best, best_score = delimiter, score
    return best, best_score[0]


def classify_head(head: bytes, complete: bool) -> str:
    """What a file's first bytes are: 'csv', 'binary', 'undecodable' or 'plain' (text without columns).

    ``complete`` says whether ``head`` is the whole file.
    """
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and has_binary_bytes(head):
        return "binary"
    decoded = decode(head, final=complete)
    if decoded is None:
        return "undecodable"
    text = decoded[1]
    if _has_binary_chars(text):
        return "binary"
    if not complete:  # the last line may be cut short
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[:cut]
    _, same = sniff_delimiter(text)
    return "csv" if same >= 2 else "plain"


def classify_file(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES + 1)
    complete = len(head) <= SAMPLE_BYTES
    return classify_head(head[:SAMPLE_BYTES], complete)


def read_csv(path: Path, max_rows: int | None = None, max_cells: int = DEFAULT_MAX_CELLS) -> CsvTable:
    """Read a CSV/TSV file into padded rows of strings; DataError (Chinese) on any refusal."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _refuse(path, f"无法读取文件：{exc.strerror or exc}") from None
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and has_binary_bytes(data):
        raise _refuse(path, BINARY_MESSAGE)
    decoded = decode(data)
    if decoded is None:
        raise _refuse(path, ENCODING_MESSAGE)
    encoding, text = decoded
    del data
    if text.endswith("\x1a"):  # DOS end-of-file mark
        text = text[:-1]
    if _has_binary_chars(text):
        raise _refuse(path, BINARY_MESSAGE)
    delimiter, _ = sniff_delimiter(text[: SAMPLE_BYTES])
    rows = _split(path, text, delimiter, max_rows)
    while rows and not any(rows[-1]):
        rows.pop()  # trailing empty records (a final blank line, Excel's ",,,," padding)
    width = max((len(r) for r in rows), default=0)
    if len(rows) * width > max_cells:
        raise _refuse(
            path,
            f"表格范围过大（{len(rows)} 行 × {width} 列），请在 Excel 中删除多余的空行空列后另存再试",
        )
    for row in rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    return CsvTable(rows=rows, encoding=encoding, delimiter=delimiter)


def _split(path: Path, text: str, delimiter: str, max_rows: int | None) -> list[list[str]]:
    # strict first, to notice a quote left open (it would swallow the rest of the file into one cell);
    # then leniently, as Excel does, for stray quotes such as  "张三"备注
    for strict in (True, False):
        rows: list[list[str]] = []
        seen: dict[str, str] = {}  # one object per distinct cell text: scores and group names repeat a lot
        reader = csv.reader(_lines(text), delimiter=delimiter, strict=strict)
        last_line = 0
        try:
            for row in reader:
                rows.append([seen.setdefault(cell, cell) for cell in row])
                last_line = reader.line_num
                if max_rows is not None and len(rows) > max_rows:
                    raise _refuse(
                        path, f"表格太大（超过 {max_rows} 行），不像检查表或名册；请只发需要的表"
                    )
            return rows
        except csv.Error as exc:
            if "unexpected end of data" in str(exc) or "field limit" in str(exc):
                raise _refuse(
                    path,
                    f"第 {last_line + 1} 行有一个引号（\"）没有配对，后面的内容会被当成一个单元格；"
                    "请在 Excel/WPS 中打开后另存为“CSV UTF-8”或 xlsx",
                ) from None
            if not strict:
                raise _refuse(path, f"CSV 文件第 {last_line + 1} 行无法分列：{exc}") from None
    return []  # pragma: no cover - the lenient pass returns or raises


def _lines(text: str):
    """The lines of ``text`` with their endings (CRLF, LF or a lone CR), as ``newline=""`` files give them,
    without another copy of the whole text."""
    start, end = 0, len(text)
    lf = cr = -1  # the next LF / CR at or after ``start`` (searched again only once passed)
    while start < end:
        if lf < start:
            lf = text.find("\n", start)
            lf = end if lf < 0 else lf
        if cr < start:
            cr = text.find("\r", start)
            cr = end if cr < 0 else cr
        if cr < lf and cr + 1 != lf:  # a lone CR (old Mac line ending)
            stop = cr + 1
        else:
            stop = min(lf + 1, end)
        yield text[start:stop]
        start = stop


def _refuse(path: Path, message: str) -> DataError:
    return DataError(message, [Problem(Location(file=path.name), message)])
