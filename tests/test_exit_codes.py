"""Exit codes match the README table, over every command's error paths (issue 14 §5).

Every command of the CLI is listed in CASES with at least one error path (and its code); every command
taking a ledger exits 4 when the ledger does not exist, every command exits 2 for an option it does not
have, and writing commands exit 3 while the ledger is open in Excel/WPS. A new command without a case
here fails test_every_command_has_a_case.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.main import get_command

from conftest import invoke
from villagectl.cli.main import app
from villagectl.errors import ExitCode
from villagectl.demo import build_samples

README = Path(__file__).resolve().parent.parent / "README.md"
LEDGER = "中坪村积分台账.xlsx"


def commands() -> dict[str, list]:
    """'event add' → its click parameters, for every leaf command."""
    out: dict[str, list] = {}

    def walk(c, prefix: tuple[str, ...]) -> None:
        subs = getattr(c, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, prefix + (name,))
        else:
            out[" ".join(prefix)] = list(c.params)

    walk(get_command(app), ())
    return out


# placeholders: {L} the sample ledger, {T} a fresh folder, {X} a path that does not exist
VALUES = {"--village": "中坪村", "--inbox": "{T}/收件箱", "--month": "2026-07", "--household": "ZP001", "--item": "RJ1",
          "--score": "10", "--reason": "测试", "--year": "2026", "--quarter": "2026Q3", "--by": "王", "--entry": "000001",
          "--slip": "DH2026-000001", "--to-village": "下湾村", "--output": "{T}/输出.pdf"}
ARGUMENTS = {"ledger": "{L}", "paths": "{T}", "rosters": "{T}/名册.xlsx", "backup": "{T}/备份.xlsx", "file": "{T}/单.json",
             "code": "ABCDE-FGHJK", "refs": "DH2026-000001", "folder": "{T}/模板"}

CASES: dict[str, list[tuple[list[str], int, str]]] = {
    "init": [(["{L}", "--village", "中坪村"], 4, "已存在"), (["{T}/新.xlsx", "--village", "中坪村", "--preset", "无"], 2, "没有名为 无 的预设方案")],
    "check": [(["{X}"], 4, "找不到台账文件")],
    "balance": [(["{L}", "--household", "ZP999"], 1, "户号 ZP999 不在户籍中")],
    "demo": [(["--no-such-option"], 2, "")],
    "passbook": [(["{L}"], 2, "--household"), (["{L}", "--household", "张伟"], 1, "第一组张伟")],
    "rollup": [(["{X}", "-o", "{T}/汇总.xlsx"], 4, "找不到"), (["{T}", "-o", "{T}/汇总.xlsx"], 1, "未汇总 空.xlsx: 文件是空的")],
    "run": [(["{L}", "--inbox", "{X}"], 4, "收件箱文件夹不存在")],
    "backups": [(["{X}"], 4, "")],
    "diff": [(["{L}", "{X}"], 4, "找不到备份")],
    "restore": [(["{L}", "{X}"], 4, "找不到备份")],
    "households import": [(["{L}", "{X}"], 4, "找不到"), (["{L}", "{T}/空.xlsx"], 1, "")],
    "inspect import": [(["{L}", "{X}"], 4, "找不到"), (["{L}", "{T}"], 1, "空.xlsx: 文件是空的（0 字节）")],
    "forms redeem": [(["{L}", "-o", "{L}"], 2, "就是台账")],
    "forms vote": [(["{L}", "--year", "26", "-o", "{T}/表"], 2, "")],
    "forms cadre": [(["{L}", "--year", "2026", "-o", "{L}"], 2, "就是台账")],
    "inspect forms": [(["{L}", "-o", "{T}/表"], 2, "--month"), (["{L}", "--month", "2026-07", "-o", "{T}/表", "--group", "第九组"], 2, "第九组")],
    "score month": [(["{L}", "--month", "2026-13"], 2, ""), (["{L}", "--month", "2026-07"], 1, "还没有导入任何检查记录")],
    "score adjust": [(["{L}", "--month", "2026-07", "--household", "ZP0011", "--item", "RJ1", "--score", "10", "--reason", "异议"], 1,
                      "户号 ZP0011 不在户籍中；是不是 ZP001")],
    "score year": [(["{L}", "--year", "26"], 2, "")],
    "post month": [(["{L}", "--month", "2026-07"], 1, "还没有计分")],
    "post quarter": [(["{L}", "--quarter", "2026Q9"], 2, "")],
    "post year": [(["{L}", "--year", "2026"], 1, "还没有评定")],
    "notice month": [(["{L}", "--month", "2026-07", "-o", "{T}/公示.pdf"], 1, "还没有计分"),
                     (["{L}", "--month", "2026-07", "-o", "{L}"], 2, "")],
    "notice quarter": [(["{L}", "--quarter", "2026Q3", "-o", "{T}/季度.pdf"], 1, "")],
    "notice year": [(["{L}", "--year", "2026", "-o", "{T}/年度.pdf"], 1, "还没有年度评定结果")],
    "notice cadre": [(["{L}", "--year", "2026", "-o", "{T}/考核.pdf"], 1, "还没有计算结果")],
    "notice commitments": [(["{L}", "--year", "2026", "-o", "{T}/承诺.pdf"], 1, "没有 2026 年的承诺")],
    "templates export": [(["{L}"], 2, "不能覆盖台账")],
    "event add": [(["{L}", "--household", "ZP001", "--rule", "见义勇为"], 1, "“规则”表里没有加分/扣分/否决项"),
                  (["{L}", "--household", "ZP001", "--count", "三", "--rule", "X"], 2, "")],
    "event import": [(["{L}", "{X}"], 4, "找不到")],
    "event review": [(["{L}", "--by", "王"], 2, "--id")],
    "event notice": [(["{L}", "-o", "{T}/事项.pdf"], 1, "没有待公示的事件")],
    "event approve": [(["{L}", "--by", "王", "--all"], 1, "没有状态为“公示”的事件")],
    "event post": [(["{L}"], 2, "--id")],
    "event reject": [(["{L}", "--id", "E000001"], 2, "--reason")],
    "event revoke": [(["{L}", "--entry", "999999", "--reason", "测试"], 1, "没有流水号 999999")],
    "event list": [(["{L}", "--status", "无"], 2, "状态“无”无效")],
    "redeem import": [(["{L}", "{X}"], 4, "找不到兑换登记表")],
    "redeem cancel": [(["{L}", "--slip", "DH2026-999999", "--reason", "测试"], 1, "没有单号或核验码")],
    "slip verify": [(["{L}", "ABCDE-FGHJK"], 1, "")],
    "slip use": [(["{L}", "ABCDE-FGHJK"], 1, "不能领取")],
    "slip print": [(["{L}", "DH2026-999999"], 1, "没有单号或核验码")],
    "transfer out": [(["{L}", "--household", "ZP001", "--to-village", "中坪村"], 2, "就是本村")],
    "transfer in": [(["{L}", "{X}"], 4, "找不到转移单")],
    "vote import": [(["{L}", "{X}", "--year", "2026"], 4, "找不到")],
    "report year": [(["{L}", "--year", "2026", "-o", "{L}"], 2, "")],
    "cadre import": [(["{L}", "{X}", "--year", "2026"], 4, "找不到")],
    "cadre score": [(["{L}", "--year", "2026"], 1, "")],
}


@pytest.fixture(scope="module")
def _sample(tmp_path_factory) -> dict:
    return build_samples(tmp_path_factory.mktemp("sample") / "村")


@pytest.fixture
def place(_sample: dict, tmp_path: Path) -> dict[str, str]:
    ledger = tmp_path / LEDGER
    shutil.copyfile(_sample["ledger"], ledger)
    folder = tmp_path / "空文件夹"
    folder.mkdir()
    shutil.copyfile(_sample["roster"], tmp_path / "名册.xlsx")
    sheets = tmp_path / "检查表"
    sheets.mkdir()
    for f in _sample["inspections"]:
        shutil.copyfile(f, sheets / Path(f).name)
    (folder / "空.xlsx").write_bytes(b"")  # not a workbook: a data error
    return {"L": str(ledger), "T": str(folder), "X": str(tmp_path / "不存在"), "R": str(tmp_path / "名册.xlsx"),
            "I": str(sheets)}


def fill(args: list[str], place: dict[str, str]) -> list[str]:
    return [a.format(**place) for a in args]


def test_the_readme_table_is_the_exit_codes() -> None:
    text = README.read_text(encoding="utf-8").split("## 退出码", 1)[1].split("\n## ", 1)[0]
    codes = {int(m) for m in re.findall(r"^\| (\d+) \|", text, flags=re.M)}
    assert codes == {int(c) for c in ExitCode}


def test_every_command_has_a_case() -> None:
    assert sorted(set(commands()) - set(CASES)) == []
    assert sorted(set(CASES) - set(commands())) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_paths(name: str, runner, place) -> None:
    for args, code, fragment in CASES[name]:
        result = invoke(runner, *name.split(), *fill(args, place))
        shown = result.stdout + result.stderr
        assert result.exit_code == code, (name, args, shown)
        assert fragment in shown.replace("\n", ""), (name, args, shown)
        assert "Traceback" not in shown


def _required(params, place) -> list[str]:
    argv: list[str] = []
    for p in params:
        if p.param_type_name == "argument":
            argv.append(ARGUMENTS[p.name].format(**place))
        elif p.required:
            argv += [p.opts[0], VALUES[p.opts[0]].format(**place)]
    return argv


# commands that check their own options before opening the ledger (a usage error comes first)
EXTRA = {"passbook": ["--household", "ZP001"], "inspect forms": ["--month", "2026-07"], "event reject": ["--reason", "x"],
         "event review": ["--all"], "event approve": ["--all"], "event post": ["--all"]}


@pytest.mark.parametrize("name", sorted(n for n, ps in commands().items() if any(p.name == "ledger" for p in ps)
                                        and n != "init"))
def test_a_ledger_that_does_not_exist_is_4(name: str, runner, place) -> None:
    params = commands()[name]
    where = {**place, "L": place["X"] + ".xlsx"}
    result = invoke(runner, *name.split(), *_required(params, where), *EXTRA.get(name, []))
    assert result.exit_code == ExitCode.IO, (name, result.stdout + result.stderr)


@pytest.mark.parametrize("name", sorted(commands()))
def test_an_unknown_option_is_2(name: str, runner, place) -> None:
    result = invoke(runner, *name.split(), *_required(commands()[name], place), "--no-such-option")
    assert result.exit_code == ExitCode.USAGE, (name, result.stdout + result.stderr)


@pytest.mark.parametrize("argv", [
    ["households", "import", "{L}", "{R}"],
    ["event", "add", "{L}", "--household", "ZP001", "--points", "2", "--note", "帮工"],
    ["inspect", "import", "{L}", "{I}"],
    ["init", "{L}", "--village", "中坪村", "--force"],
])
def test_a_ledger_open_in_excel_is_3(argv: list[str], runner, place) -> None:
    ledger = Path(place["L"])
    (ledger.parent / f"~${ledger.name}").write_bytes(b"owner")
    before = ledger.read_bytes()
    result = invoke(runner, *fill(argv, place))
    assert result.exit_code == ExitCode.LOCKED, result.stdout + result.stderr
    assert ledger.read_bytes() == before
