"""R29: `dumpdata`, which writes identities in clear text, is refused in production unless asked
for explicitly, and every run is audited."""

import gzip
import os
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, get_commands

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db

SENTINEL = "Zzsentineldump"


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(organisation=organisation, case_manager=alice, person__given_name=SENTINEL)


def _dumps():
    return AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, detail__startswith="dumpdata")


def test_it_runs_engages_dumpdata_not_djangos():
    assert get_commands()["dumpdata"] == "engage.ops"


def test_it_refuses_to_dump_in_production(settings, case):
    settings.DEBUG = False
    out = StringIO()
    with pytest.raises(CommandError, match="--allow-personal-data"):
        call_command("dumpdata", "cases", stdout=out)
    assert out.getvalue() == ""
    assert not _dumps().exists()


def test_it_dumps_everything_when_allowed_and_audits_it(settings, case):
    settings.DEBUG = False
    out = StringIO()
    call_command("dumpdata", "cases", allow_personal_data=True, stdout=out)
    assert SENTINEL in out.getvalue()  # nothing is left out silently: it is a real dump
    assert _dumps().get().detail == "dumpdata cases"


def test_it_dumps_on_a_development_instance_and_audits_it(settings, case):
    settings.DEBUG = True
    out = StringIO()
    call_command("dumpdata", "cases.person", stdout=out)
    assert SENTINEL in out.getvalue()
    assert _dumps().get().detail == "dumpdata cases.person"


@pytest.mark.parametrize("there", [False, True])
def test_its_file_is_readable_by_its_owner_only(settings, case, tmp_path, there):
    # Under the usual umask (022) Django's dumpdata wrote it readable by every local user.
    settings.DEBUG = False
    output = tmp_path / "dump.json"
    if there:
        output.write_text("old")
        output.chmod(0o644)
    previous = os.umask(0o022)
    try:
        call_command("dumpdata", "cases", allow_personal_data=True, output=str(output))
    finally:
        os.umask(previous)
    assert SENTINEL in output.read_text()
    assert stat.S_IMODE(output.stat().st_mode) == 0o600


def test_it_writes_neither_through_a_link_planted_at_its_file_nor_into_its_target(
    settings, case, tmp_path
):
    """As the operator's other files (docs/security.md, item 41): a link another account
    planted at the path given to `-o` was written through, the clear-text dump landing in (and
    emptying) whatever it pointed at."""
    settings.DEBUG = False
    victim = tmp_path / "operators_own_file"
    victim.write_text("precious content\n")
    victim.chmod(0o644)
    output = tmp_path / "dump.json"
    output.symlink_to(victim)
    call_command("dumpdata", "cases", allow_personal_data=True, output=str(output))
    assert victim.read_text() == "precious content\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not output.is_symlink() and SENTINEL in output.read_text()
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump.json", "operators_own_file"]


@pytest.mark.skipif(os.getuid() != 0, reason="needs to give a file to another account (root)")
def test_a_file_another_account_left_at_its_path_is_replaced_not_written_into(
    settings, case, tmp_path
):
    """A file another account left at the path was opened and written into: it stayed theirs,
    so they read every identity in clear text however its mode was narrowed."""
    settings.DEBUG = False
    planted = tmp_path / "dump.json.gz"
    planted.write_bytes(b"")
    os.chown(planted, 65534, 65534)  # nobody: another local account
    planted.chmod(0o666)
    call_command("dumpdata", "cases", allow_personal_data=True, output=str(planted))
    status = planted.stat()
    assert status.st_uid == os.getuid() and stat.S_IMODE(status.st_mode) == 0o600
    assert SENTINEL in gzip.decompress(planted.read_bytes()).decode()
