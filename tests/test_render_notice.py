"""The monthly public notice PDF and the typst rendering layer."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

from villagectl.errors import DataError, FileAccessError, UsageError  # noqa: E402
from villagectl.render import typst_engine  # noqa: E402
from villagectl.render.notice import (  # noqa: E402
    MonthNotice,
    NoticeRow,
    group_sort_key,
    mask_name,
    order_rows,
    render_month_notice,
)
from villagectl.render.typst_engine import (  # noqa: E402
    DEFAULT_TEMPLATES_DIR,
    export_templates,
    resolve_font,
    typst_string,
)

CATEGORIES = ["人居环境", "先锋模范", "学生就学", "创业就业", "团结友爱"]
MAXIMA = [50, 20, 10, 10, 10]
GROUPS = ["第一组", "第二组", "第三组", "第四组"]
SURNAMES = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = ["建国", "秀英", "志强", "桂兰", "德福", "玉梅", "海", "军", "丽华", "春生"]
OBJECTION = "对公示内容有异议的，请在公示期内向村民委员会或本组网格员反映，联系电话0851-1234567。"


def household_rows(n: int = 80) -> list[NoticeRow]:
    rows = []
    for i in range(n):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]
        scores = [m - ((i * (k + 3)) % (m // 5 + 1)) * 0.5 for k, m in enumerate(MAXIMA)]
        total = sum(scores)
        points = 5 if total > 90 else 3 if total > 85 else 1 if total >= 80 else 0
        rows.append(NoticeRow(GROUPS[i % 4], name, scores, total, points, None, None, False, False))
    rows[0].name, rows[1].name, rows[2].name = "王喆", "李赟", "陈堃"
    rows[0].scores = [50, 20, 10, 10, 10]
    rows[0].total, rows[0].points, rows[0].bonus = 100.0, 5, 5  # the village's first place
    rows[5].name, rows[5].exposure = "黄三坏", True
    rows[6].name, rows[6].missing = "吴未到", True
    rows[6].scores, rows[6].total, rows[6].points = [], None, None
    ranked = sorted((r for r in rows if not r.missing), key=lambda r: -r.total)
    for rank, row in enumerate(ranked, start=1):
        row.village_rank = rank
    return rows


def make_notice(rows: list[NoticeRow] | None = None, **kw) -> MonthNotice:
    values = dict(
        village="中坪村",
        month="2026-07",
        categories=CATEGORIES,
        rows=household_rows() if rows is None else rows,
        period_start=dt.date(2026, 7, 26),
        period_end=dt.date(2026, 7, 28),
        objection_text=OBJECTION,
        committee="中坪村村民委员会",
        issued=dt.date(2026, 7, 26),
        order="group",
        mask_names=False,
    )
    values.update(kw)
    return MonthNotice(**values)


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(str(path))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def notice_pdf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("notice") / "中坪村 2026年7月 公示.pdf"
    assert render_month_notice(make_notice(), out) == out
    return out


# ---------------------------------------------------------------- the notice


def test_notice_text(notice_pdf: Path):
    text = pdf_text(notice_pdf)
    assert "中坪村2026年7月农户积分公示" in text
    assert "中坪村" in text and "2026年7月" in text
    assert re.search(r"王喆\s+50\s+20\s+10\s+10\s+10\s+100\s+5\s+5\n", text), "name, scores, total, points, bonus on one row"
    for rare in ("王喆", "李赟", "陈堃"):
        assert rare in text
    assert "第1页/共" in text
    assert OBJECTION in text.replace("\n", "")
    assert "公示期：2026年7月26日至2026年7月28日" in text
    assert "中坪村村民委员会" in text and "2026年7月26日" in text
    assert re.search(r"黄三坏.*曝光台", text)
    assert re.search(r"吴未到\s+未检查", text)
    assert "100.0" not in text and ".0 " not in text  # numbers without a trailing .0


def test_notice_pages_and_footer(notice_pdf: Path):
    reader = pypdf.PdfReader(str(notice_pdf))
    pages = len(reader.pages)
    assert pages >= 3
    for i, page in enumerate(reader.pages, start=1):
        assert f"第{i}页/共{pages}页" in page.extract_text()
        assert [round(float(v)) for v in page.mediabox[2:]] == [595, 842]  # A4
        # the header row repeats on every page
        assert "组别" in page.extract_text() and "户主" in page.extract_text()
    # 30–35 households a page, not a crammed 60
    second_page_rows = re.findall(r"^第.组 ", reader.pages[1].extract_text(), flags=re.M)
    assert 28 <= len(second_page_rows) <= 40


def test_cjk_font_is_embedded(notice_pdf: Path):
    reader = pypdf.PdfReader(str(notice_pdf))
    embedded = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts") or [font]
            for d in descendants:
                desc = d.get_object().get("/FontDescriptor")
                if desc is None:
                    continue
                desc = desc.get_object()
                if any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.append(str(font["/BaseFont"]))
    assert embedded and all("Noto" in name for name in embedded)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_rare_names_through_pdftotext(notice_pdf: Path):
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(notice_pdf), "-"], capture_output=True, check=True)
    text = out.stdout.decode("utf-8")
    for rare in ("王喆", "李赟", "陈堃"):
        assert rare in text


def test_order_by_rank_adds_rank_column(tmp_path: Path):
    out = render_month_notice(make_notice(order="rank"), tmp_path / "rank.pdf")
    text = pdf_text(out)
    assert "名次" in text
    assert re.search(r"^1\s+第一组\s+王喆\s", text, flags=re.M)


def test_masked_names(tmp_path: Path):
    out = render_month_notice(make_notice(mask_names=True), tmp_path / "masked.pdf")
    text = pdf_text(out)
    assert "王*" in text and "王喆" not in text and "黄*坏" in text


def test_markup_in_data_is_printed_literally(tmp_path: Path):
    rows = household_rows(12)
    rows[0].name = "#set page(width: 1cm)"
    rows[1].name = '*bold* $x$ \\" ]'
    rows[2].group = "组) #panic(1) //"
    notice = make_notice(rows, village='"村"]#x', objection_text="见 #link(\"x\")[y] 与 <a> @b 反映")
    out = render_month_notice(notice, tmp_path / "markup.pdf")
    reader = pypdf.PdfReader(str(out))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")  # long values wrap in their cells
    assert "#set page(width: 1cm)" in text
    assert '*bold* $x$ \\" ]' in text
    assert "#panic(1)" in text
    assert '"村"]#x2026年7月农户积分公示' in text
    assert '见 #link("x")[y] 与 <a> @b 反映' in text
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]


def test_character_missing_from_font_stops_instead_of_printing_boxes(tmp_path: Path):
    rows = household_rows(8)
    rows[3].name = "张\U0001f600"  # an emoji: not in Noto Sans CJK
    out = tmp_path / "boxes.pdf"
    with pytest.raises(DataError) as err:
        render_month_notice(make_notice(rows), out)
    assert "U+1F600" in err.value.message and "方框" in err.value.message
    assert not out.exists()


def test_wrong_row_width_and_order(tmp_path: Path):
    rows = household_rows(8)
    rows[2].scores = [1, 2]
    with pytest.raises(DataError, match="类别"):
        render_month_notice(make_notice(rows), tmp_path / "x.pdf")
    with pytest.raises(UsageError):
        render_month_notice(make_notice(order="name"), tmp_path / "x.pdf")


def test_output_replaced_atomically(tmp_path: Path):
    out = tmp_path / "notice.pdf"
    out.write_bytes(b"old")
    render_month_notice(make_notice(household_rows(10)), out)
    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["notice.pdf"]


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    "name, masked",
    [
        ("张三", "张*"),
        ("张三明", "张*明"),
        ("欧阳修文", "欧阳*文"),
        ("司马相如", "司马*如"),
        ("诸葛亮", "诸葛*"),
        ("欧阳", "欧*"),
        ("张", "张"),
        ("", ""),
        ("买买提明", "买**明"),
        (" 李四 ", "李*"),
    ],
)
def test_mask_name(name: str, masked: str):
    assert mask_name(name) == masked


def test_group_order():
    groups = ["第十组", "第二组", "第十一组", "1组", "东片"]
    assert sorted(groups, key=group_sort_key) == ["1组", "第二组", "第十组", "第十一组", "东片"]
    rows = household_rows(12)
    ordered = order_rows(rows, "group")
    assert [r.group for r in ordered] == sorted((r.group for r in rows), key=group_sort_key)
    first_group = [r for r in ordered if r.group == "第一组"]
    totals = [r.total for r in first_group if r.total is not None]
    assert totals == sorted(totals, reverse=True)
    by_rank = order_rows(rows, "rank")
    assert by_rank[-1].missing and [r.village_rank for r in by_rank[:3]] == [1, 2, 3]


@pytest.mark.parametrize(
    "value, literal",
    [
        ("王喆", '"王喆"'),
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("a\nb", '"a\\nb"'),
        ("\x07", '"\\u{7}"'),
        (85.0, '"85"'),
        (85.5, '"85.5"'),
        (0.1 + 0.2, '"0.3"'),
        (3, '"3"'),
        (None, '""'),
        (float("nan"), '""'),
        (dt.date(2026, 7, 26), '"2026年7月26日"'),
    ],
)
def test_typst_string(value, literal: str):
    assert typst_string(value) == literal


# ---------------------------------------------------------------- fonts and templates


def test_default_font_is_noto_sans_cjk_sc():
    choice = resolve_font()
    assert choice.family == "Noto Sans CJK SC"
    assert choice.missing_chars("王喆李赟陈堃，。（）0123abc") == []
    assert choice.missing_chars("张\U0001f600") == ["\U0001f600"]


def test_bogus_font_path_gives_chinese_data_error(tmp_path: Path):
    with pytest.raises(DataError) as err:
        render_month_notice(make_notice(household_rows(8)), tmp_path / "x.pdf", font=tmp_path / "msyh.ttc")
    assert re.search(r"[\u4e00-\u9fff]", err.value.message)
    assert "noto-cjk-sans-otc" in err.value.hint and "--font" in err.value.hint
    not_a_font = tmp_path / "readme.txt"
    not_a_font.write_text("x")
    with pytest.raises(DataError, match="不是字体文件"):
        resolve_font(not_a_font)


def test_font_without_chinese_is_refused(tmp_path: Path):
    latin = next(iter(Path("/usr/share/fonts").rglob("DejaVuSans.ttf")), None) if Path("/usr/share/fonts").is_dir() else None
    if latin is None:
        pytest.skip("no Latin-only font on this machine")
    with pytest.raises(DataError, match="没有中文字体"):
        resolve_font(latin)


def test_font_given_as_file(tmp_path: Path):
    import noto_cjk_sans_otc

    copy = tmp_path / "我的字体.ttc"
    copy.symlink_to(Path(str(noto_cjk_sans_otc.FONT_PATH)))
    out = render_month_notice(make_notice(household_rows(8)), tmp_path / "f.pdf", font=copy)
    assert "王喆" in pdf_text(out)


def test_export_templates(tmp_path: Path):
    dest = tmp_path / "我的模板"
    copied = export_templates(dest)
    names = sorted(p.name for p in copied)
    assert "notice_month.typ.j2" in names and "README.md" in names
    assert sorted(p.name for p in dest.iterdir()) == names
    for p in copied:
        assert p.read_bytes() == (DEFAULT_TEMPLATES_DIR / p.name).read_bytes()

    edited = dest / "notice_month.typ.j2"
    edited.write_text(edited.read_text(encoding="utf-8") + "// 文书改过\n", encoding="utf-8")
    with pytest.raises(FileAccessError, match="已经有"):
        export_templates(dest)
    assert "文书改过" in edited.read_text(encoding="utf-8")  # nothing overwritten
    export_templates(dest, force=True)
    assert edited.read_bytes() == (DEFAULT_TEMPLATES_DIR / edited.name).read_bytes()


def test_override_folder_is_searched_first(tmp_path: Path):
    dest = tmp_path / "tpl"
    export_templates(dest)
    tpl = dest / "notice_month.typ.j2"
    text = tpl.read_text(encoding="utf-8").replace("接受全体村民监督", "欢迎大家来看看")
    tpl.write_text(text, encoding="utf-8")
    out = render_month_notice(make_notice(household_rows(8)), tmp_path / "o.pdf", templates_dir=dest)
    assert "欢迎大家来看看" in pdf_text(out).replace("\n", "")


def test_broken_template_gives_data_error(tmp_path: Path):
    dest = tmp_path / "tpl"
    export_templates(dest)
    tpl = dest / "notice_month.typ.j2"
    tpl.write_text(tpl.read_text(encoding="utf-8") + "\n{{ no_such_variable | t }}\n", encoding="utf-8")
    with pytest.raises(DataError, match="no_such_variable"):
        render_month_notice(make_notice(household_rows(8)), tmp_path / "b.pdf", templates_dir=dest)
    tpl.write_text("#table(columns: 2, [a]\n", encoding="utf-8")
    with pytest.raises(DataError, match="排版失败"):
        render_month_notice(make_notice(household_rows(8)), tmp_path / "b.pdf", templates_dir=dest)


def test_compile_pdf_rejects_unknown_font_family(tmp_path: Path):
    choice = resolve_font()
    src = '#set text(font: "No Such Font", fallback: false)\n中文'
    with pytest.raises(DataError, match="No Such Font|no such font"):
        typst_engine.compile_pdf(src, tmp_path / "u.pdf", list(choice.font_paths))
    assert not (tmp_path / "u.pdf").exists()
