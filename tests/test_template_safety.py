"""Clerk templates are kept in a box (issue 11 item 9, docs/safety.md "公式注入与模板").

A template named by the ledger's 参数 模板文件夹 once ran
``cycler.__init__.__globals__.os.system(…)``. Now templates render in jinja2's
SandboxedEnvironment, typst reads files only inside the template folder, and a
template folder or font in 参数 must be local and in the ledger's folder or the
user's home folder (anywhere only when given on the command line).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import invoke
from test_redeem import set_setting
from villagectl.errors import DataError
from villagectl.render.typst_engine import export_templates, render_source
from villagectl.demo import build_samples

MONTH = "2026-07"

EXPLOITS = [
    '{{ cycler.__init__.__globals__.os.system("touch MARKER") }}',
    '{{ lipsum.__globals__["os"].system("touch MARKER") }}',
    '{{ joiner.__init__.__globals__.os.popen("touch MARKER").read() }}',
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    '{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system("touch MARKER") }}',
    '{% set x = namespace.__init__.__globals__ %}{{ x.os.system("touch MARKER") }}',
    '{{ (cycler|attr("__init__")|attr("__globals__"))["os"].system("touch MARKER") }}',
]


@pytest.fixture(scope="module")
def scored_village(tmp_path_factory) -> Path:
    """A sample village with 2026-07 imported and scored (copied per test)."""
    made = build_samples(tmp_path_factory.mktemp("village") / "村")
    ledger = Path(made["ledger"])
    from typer.testing import CliRunner

    runner = CliRunner()
    assert invoke(runner, "inspect", "import", ledger, *made["inspections"]).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", MONTH).exit_code == 0
    return ledger


@pytest.fixture
def village(scored_village: Path, tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "村"
    folder.mkdir()
    ledger = folder / scored_village.name
    shutil.copyfile(scored_village, ledger)
    home = tmp_path / "家"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # the user's own folder: not tmp_path itself
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.chdir(tmp_path)  # a relative "touch MARKER" would land here
    return ledger


def _template_folder(where: Path, body: str | None = None, marker_text: str | None = None) -> Path:
    export_templates(where, force=True)
    tpl = where / "notice_month.typ.j2"
    if body is not None:
        tpl.write_text(body + "\n" + tpl.read_text(encoding="utf-8"), encoding="utf-8")
    if marker_text is not None:
        tpl.write_text(tpl.read_text(encoding="utf-8").replace("接受全体村民监督", marker_text), encoding="utf-8")
    return where


def _markers(*folders: Path) -> list[Path]:
    return [p for f in folders for p in f.rglob("MARKER")]


def _notice(runner, ledger: Path, out: Path, *extra):
    return invoke(runner, "notice", "month", ledger, "--month", MONTH, "-o", out, "--date", "2026-07-26", *extra)


def _pdf_text(pdf: Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(pdf).pages).replace("\n", "")


@pytest.mark.parametrize("exploit", EXPLOITS)
def test_exploit_templates_never_run_code(exploit: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = _template_folder(tmp_path / "tpl", exploit)
    with pytest.raises(DataError) as err:
        render_source("notice_month.typ.j2", {}, folder)
    assert "不允许" in err.value.message or "不存在的变量" in err.value.message or "出错" in err.value.message
    assert _markers(tmp_path) == []


def test_exploit_in_the_ledgers_template_folder_is_refused_harmlessly(village: Path, runner, tmp_path: Path) -> None:
    _template_folder(village.parent / "模板", EXPLOITS[0])
    set_setting(village, "模板文件夹", "模板")  # relative: from the ledger's folder
    before = village.read_bytes()
    out = tmp_path / "公示.pdf"
    result = _notice(runner, village, out)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "不允许的写法" in result.stderr and "不能运行程序" in result.stderr
    assert _markers(tmp_path) == [] and not out.exists()
    assert village.read_bytes() == before


def test_template_folder_outside_the_ledgers_and_home_folder_is_refused(village: Path, runner, tmp_path: Path) -> None:
    elsewhere = _template_folder(tmp_path / "别处" / "模板", EXPLOITS[0])
    set_setting(village, "模板文件夹", str(elsewhere))
    out = tmp_path / "公示.pdf"
    result = _notice(runner, village, out)
    assert result.exit_code == 1
    assert "参数“模板文件夹”" in result.stderr and "不在台账所在的文件夹" in result.stderr
    assert "--templates" in result.stderr
    assert _markers(tmp_path) == [] and not out.exists()
    # a link inside the ledger's folder that points outside is outside
    (village.parent / "链接").symlink_to(elsewhere, target_is_directory=True)
    set_setting(village, "模板文件夹", "链接")
    result = _notice(runner, village, out)
    assert result.exit_code == 1 and "不在台账所在的文件夹" in result.stderr
    assert _markers(tmp_path) == []


@pytest.mark.parametrize("network", [r"\\server\share\模板", "//server/share/模板", "smb://server/share/模板",
                                     "file:///srv/模板"])
def test_network_template_folder_and_font_are_refused(village: Path, runner, tmp_path: Path, network: str) -> None:
    set_setting(village, "模板文件夹", network)
    result = _notice(runner, village, tmp_path / "公示.pdf")
    assert result.exit_code == 1 and "网络位置" in result.stderr and "参数“模板文件夹”" in result.stderr
    set_setting(village, "模板文件夹", "")
    set_setting(village, "字体", network.replace("模板", "msyh.ttc"))
    result = _notice(runner, village, tmp_path / "公示.pdf")
    assert result.exit_code == 1 and "网络位置" in result.stderr and "参数“字体”" in result.stderr


def test_font_setting_outside_is_refused(village: Path, runner, tmp_path: Path) -> None:
    font = tmp_path / "别处" / "字体.ttc"
    font.parent.mkdir()
    font.write_bytes(b"")
    set_setting(village, "字体", str(font))
    result = _notice(runner, village, tmp_path / "公示.pdf")
    assert result.exit_code == 1 and "参数“字体”" in result.stderr and "不在台账所在的文件夹" in result.stderr


def test_normal_templates_still_render_from_the_setting_home_and_the_command_line(
    village: Path, runner, tmp_path: Path
) -> None:
    _template_folder(village.parent / "模板", marker_text="台账旁的模板")
    set_setting(village, "模板文件夹", "模板")
    out = tmp_path / "公示1.pdf"
    result = _notice(runner, village, out)
    assert result.exit_code == 0, result.stderr
    assert "台账旁的模板" in _pdf_text(out)

    home_tpl = _template_folder(Path.home() / "我的模板", marker_text="用户文件夹的模板")
    set_setting(village, "模板文件夹", "~/我的模板")
    out = tmp_path / "公示2.pdf"
    result = _notice(runner, village, out)
    assert result.exit_code == 0, result.stderr
    assert "用户文件夹的模板" in _pdf_text(out)
    assert home_tpl.is_dir()

    # the command line may name any folder (the clerk chose it), and still gets the sandbox
    elsewhere = _template_folder(tmp_path / "别处" / "模板", marker_text="命令行的模板")
    set_setting(village, "模板文件夹", r"\\server\share\模板")  # ignored: --templates wins
    out = tmp_path / "公示3.pdf"
    result = _notice(runner, village, out, "--templates", elsewhere)
    assert result.exit_code == 0, result.stderr
    assert "命令行的模板" in _pdf_text(out)
    bad = _template_folder(tmp_path / "别处2", EXPLOITS[0])
    result = _notice(runner, village, tmp_path / "公示4.pdf", "--templates", bad)
    assert result.exit_code == 1 and "不允许的写法" in result.stderr
    assert _markers(tmp_path) == []


def test_typst_reads_files_only_inside_the_template_folder(village: Path, runner, tmp_path: Path) -> None:
    (tmp_path / "秘密.txt").write_text("SECRET-TEXT", encoding="utf-8")
    (village.parent / "秘密.txt").write_text("SECRET-TEXT", encoding="utf-8")
    folder = village.parent / "模板"
    _template_folder(folder, '#read("../秘密.txt")\n#read("/../秘密.txt")')
    set_setting(village, "模板文件夹", "模板")
    out = tmp_path / "公示.pdf"
    result = _notice(runner, village, out)
    assert result.exit_code == 1 and "排版失败" in result.stderr
    assert not out.exists()
    # a file the clerk put into the template folder (a logo, say) is readable
    (folder / "落款.txt").write_text("本村落款文字", encoding="utf-8")
    _template_folder(folder, None)
    tpl = folder / "notice_month.typ.j2"
    tpl.write_text(tpl.read_text(encoding="utf-8").replace("接受全体村民监督", '#read("落款.txt")'), encoding="utf-8")
    result = _notice(runner, village, out)
    assert result.exit_code == 0, result.stderr
    assert "本村落款文字" in _pdf_text(out)
