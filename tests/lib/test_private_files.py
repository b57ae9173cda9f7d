"""Files the operator alone reads, written where others may write too (an export under /tmp):
never through a link or into a file another account left there, and as a whole or not at all
(lib/private_files.py; December 2026 review, docs/security.md item 36)."""

import os
import stat

import pytest

from engage.lib.private_files import open_private, write_private
from engage.mel.dataset import submission


def _write_dataset(folder):
    # Version 1 columns are enough: what matters is where the bytes go.
    columns = submission.columns_of(1)
    rows = [{name: "SENTINEL-PERSON-REF" if name == "person_ref" else "" for name in columns}]
    return submission.write(folder, "BG-SOF", "2026-11", rows)


def test_the_dataset_export_replaces_a_link_planted_at_its_files_and_not_its_target(tmp_path):
    victim = tmp_path / "operators_own_file"
    victim.write_text("precious content\n")
    victim.chmod(0o644)
    shared = tmp_path / "shared"  # a folder someone else made, as under /tmp
    shared.mkdir()
    shared.chmod(0o777)
    (shared / "cases.csv").symlink_to(victim)
    (shared / "manifest.json").symlink_to(tmp_path / "another_target")

    _write_dataset(shared)

    assert victim.read_text() == "precious content\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not (tmp_path / "another_target").exists()
    for name in ("cases.csv", "manifest.json"):
        written = shared / name
        assert not written.is_symlink()
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert "SENTINEL-PERSON-REF" in (shared / "cases.csv").read_text()
    assert sorted(p.name for p in shared.iterdir()) == ["cases.csv", "manifest.json"]


@pytest.mark.parametrize("writer", ["write_private", "open_private"])
def test_it_writes_neither_through_a_link_nor_into_its_target(tmp_path, writer):
    victim = tmp_path / "target"
    victim.write_text("keep me\n")
    link = tmp_path / "report.pdf"
    link.symlink_to(victim)
    if writer == "write_private":
        write_private(link, b"REPORT")
    else:
        with open_private(link, "wb") as file:
            file.write(b"REPORT")
    assert victim.read_text() == "keep me\n"
    assert not link.is_symlink() and link.read_bytes() == b"REPORT"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600


def test_a_failed_write_leaves_what_was_there_and_no_part(tmp_path):
    out = tmp_path / "cases.csv"
    out.write_text("last month's export\n")
    with pytest.raises(RuntimeError), open_private(out, "w") as file:
        file.write("half of")
        raise RuntimeError("the disk is full")
    assert out.read_text() == "last month's export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["cases.csv"]


@pytest.mark.skipif(os.getuid() != 0, reason="needs to give a file to another account (root)")
@pytest.mark.parametrize("writer", ["write_private", "open_private"])
def test_a_file_another_account_left_there_is_replaced_by_the_operators_own(tmp_path, writer):
    planted = tmp_path / "report.pdf"
    planted.write_bytes(b"")
    os.chown(planted, 65534, 65534)  # nobody: another local account
    planted.chmod(0o666)
    if writer == "write_private":
        write_private(planted, b"EXACT FIGURES SENTINEL")  # as mel_report --out does
    else:
        with open_private(planted, "w") as file:  # as the dataset's cases.csv is written
            file.write("EXACT FIGURES SENTINEL")
    status = planted.stat()
    assert planted.read_bytes() == b"EXACT FIGURES SENTINEL"
    assert status.st_uid == os.getuid() and stat.S_IMODE(status.st_mode) == 0o600
