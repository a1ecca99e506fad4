"""One atomic writer (io.outputs.write_atomically) for every output: a write that fails at the rename
leaves the old file as it was, no temp file behind, and a Chinese message naming the file (exit 4)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from villagectl.errors import ExitCode, FileAccessError
from villagectl.io.outputs import write_atomically

OLD = b"the old file, whole\n"


@pytest.fixture
def rename_fails(monkeypatch):
    """os.replace raises (the process dies or the disk fails at the last step): the target must be untouched."""
    calls: list[tuple[str, str]] = []

    def replace(src, dst, *a, **k):
        calls.append((str(src), str(dst)))
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", replace)
    return calls


def old_file(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(OLD)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_bytes_text_and_producer_are_written_whole(tmp_path: Path) -> None:
    a = write_atomically(tmp_path / "a.bin", b"\x00\x01")
    b = write_atomically(tmp_path / "b.txt", "中坪村\n")
    c = write_atomically(tmp_path / "c.txt", lambda tmp: Path(tmp).write_text("made at the temp path", encoding="utf-8"))
    assert (a.read_bytes(), b.read_text(encoding="utf-8"), c.read_text(encoding="utf-8")) == (
        b"\x00\x01", "中坪村\n", "made at the temp path")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("durable", [True, False])
def test_a_failed_rename_leaves_the_old_file(tmp_path: Path, rename_fails, durable: bool) -> None:
    path = old_file(tmp_path, "本村.pdf")
    with pytest.raises(FileAccessError) as caught:
        write_atomically(path, b"%PDF-new", durable=durable)
    assert caught.value.exit_code == ExitCode.IO
    assert caught.value.message == f"无法写入 {path}：Input/output error"
    assert path.read_bytes() == OLD
    assert leftovers(tmp_path) == []
    assert rename_fails == [(str(tmp_path / f".villagectl-tmp-{os.getpid()}-本村.pdf"), str(path))]


def test_a_producer_that_fails_midway_leaves_the_old_file(tmp_path: Path) -> None:
    path = old_file(tmp_path, "town.xlsx")

    def half(tmp: Path) -> None:
        Path(tmp).write_bytes(b"PK\x03\x04 half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(FileAccessError, match="磁盘空间不足，无法保存 town.xlsx"):
        write_atomically(path, half)
    assert path.read_bytes() == OLD and leftovers(tmp_path) == []


def test_a_file_held_open_is_named_with_what_to_do(tmp_path: Path, monkeypatch) -> None:
    def held(src, dst, *a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", held)
    with pytest.raises(FileAccessError) as pdf:
        write_atomically(old_file(tmp_path, "公示.pdf"), b"new")
    with pytest.raises(FileAccessError) as xlsx:
        write_atomically(old_file(tmp_path, "汇总.xlsx"), b"new")
    assert pdf.value.message == "无法写入 公示.pdf：文件正被其他程序（多半是 PDF 阅读器）打开，或没有写权限；请关闭后重试"
    assert xlsx.value.message == "无法写入 汇总.xlsx：文件被其他程序（Excel/WPS）占用或没有写权限，请关闭后重试"


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="不存在，无法保存 x.pdf"):
        write_atomically(tmp_path / "没有" / "x.pdf", b"new")


# --- each kind of output goes through it ------------------------------------------------------------------


def test_a_new_workbook(tmp_path: Path, rename_fails) -> None:
    from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new

    path = old_file(tmp_path, "汇总.xlsx")
    wb = new_workbook()
    add_table_sheet(wb, "表", [ColumnFormat("户号", 8, (), "@")], [["A1"]])
    with pytest.raises(FileAccessError):
        save_new(wb, path)
    assert path.read_bytes() == OLD and leftovers(tmp_path) == []


def test_a_pdf(tmp_path: Path, rename_fails) -> None:
    from villagectl.render.typst_engine import compile_pdf, resolve_font

    path = old_file(tmp_path, "公示.pdf")
    with pytest.raises(FileAccessError):
        compile_pdf("#set page(width: 6cm, height: 3cm)\nHello", path, list(resolve_font(None).font_paths))
    assert path.read_bytes() == OLD and leftovers(tmp_path) == []


def test_the_signed_transfer_file(tmp_path: Path, rename_fails) -> None:
    from villagectl.actions.transfer_files import write_file

    path = old_file(tmp_path, "转移单.json")
    with pytest.raises(FileAccessError):
        write_file(path, b'{"new": true}')
    assert path.read_bytes() == OLD and leftovers(tmp_path) == []


def test_staged_outputs_published_after_the_ledger_write(tmp_path: Path, monkeypatch) -> None:
    from villagectl.io.staged import StagedOutputs

    final = old_file(tmp_path, "公示.pdf")
    with StagedOutputs() as outs:
        write_atomically(outs.path(final), b"%PDF-new")
        monkeypatch.setattr(os, "replace", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EIO, "I/O")))
        with pytest.raises(FileAccessError, match="台账已保存，但文件无法保存为 公示.pdf"):
            outs.publish()
    assert final.read_bytes() == OLD and leftovers(tmp_path) == []


def test_staged_outputs_are_published(tmp_path: Path) -> None:
    from villagectl.io.staged import StagedOutputs

    final = old_file(tmp_path, "公示.pdf")
    with StagedOutputs() as outs:
        write_atomically(outs.path(final), b"%PDF-new")
        assert final.read_bytes() == OLD  # nothing shows before the ledger was saved
        assert outs.publish() == [final]
    assert final.read_bytes() == b"%PDF-new" and leftovers(tmp_path) == []


def test_exported_templates_overwritten_with_force(tmp_path: Path, rename_fails) -> None:
    from villagectl.render.typst_engine import DEFAULT_TEMPLATES_DIR, export_templates

    name = sorted(p.name for p in DEFAULT_TEMPLATES_DIR.iterdir() if p.is_file() and not p.name.startswith("."))[0]
    edited = old_file(tmp_path, name)
    with pytest.raises(FileAccessError):
        export_templates(tmp_path, force=True)
    assert edited.read_bytes() == OLD and leftovers(tmp_path) == []


def test_rollup_workbook_over_an_old_one(tmp_path: Path, ledger_path: Path, runner, rename_fails) -> None:
    from conftest import invoke

    out = old_file(tmp_path, "全镇.xlsx")
    r = invoke(runner, "rollup", ledger_path, "-o", out, "--workers", "1", "--year", "2026")
    assert r.exit_code == ExitCode.IO, r.stdout + r.stderr
    assert "无法写入" in r.stderr and "全镇.xlsx" in r.stderr
    assert out.read_bytes() == OLD and leftovers(tmp_path) == []


def test_a_damaged_ledger_kept_before_a_restore(tmp_path: Path, ledger_path: Path, rename_fails) -> None:
    """The copy of a ledger that no longer opens, kept beside the backups, is made whole or not at all."""
    from villagectl.actions import backups
    from villagectl.io import safe_write

    folder = safe_write.backup_dir(ledger_path)
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "中坪 村.20260101-000000-000000.bak.xlsx"
    good.write_bytes(ledger_path.read_bytes())
    ledger_path.write_bytes(b"PK\x03\x04 damaged")
    with pytest.raises(FileAccessError, match="无法写入 .*damaged.xlsx"):
        backups._restore_over_a_damaged_ledger(safe_write.real_path(ledger_path), good, safe_write.sha256_file(good))
    assert ledger_path.read_bytes() == b"PK\x03\x04 damaged"
    assert not [p.name for p in folder.iterdir() if "damaged" in p.name or p.name.startswith(".villagectl-tmp")]


def test_a_missing_folder_is_named_with_the_file_the_clerk_asked_for(tmp_path) -> None:
    """A staged output (written under a pending name first) says the name given with -o, never the temp name."""
    import pytest

    from villagectl.errors import FileAccessError
    from villagectl.io.outputs import write_atomically

    with pytest.raises(FileAccessError) as caught:
        write_atomically(tmp_path / "没有" / ".2026-08公示.pdf.23263.villagectl-pending", b"%PDF")
    assert caught.value.message == f"文件夹 {tmp_path / '没有'} 不存在，无法保存 2026-08公示.pdf；请先建好这个文件夹"
