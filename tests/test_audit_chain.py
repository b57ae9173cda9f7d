"""Issue 10, item 6: the audit log and the change history cannot be emptied by the application,
and a deletion or an alteration behind its back is found by `engage verify_audit`."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases.factories import CaseFactory
from engage.cases.services import update_identity
from engage.history.models import Change
from engage.lib import chain
from engage.privacy.services import erase_person

pytestmark = pytest.mark.django_db


def _seal():
    """On PostgreSQL entries are sealed at commit; a test's transaction never commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _verify(*args) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def _behind_the_back(sql: str, table: str = "audit_auditevent", params=()) -> None:
    """Run `sql` as the owner of the table can: with its triggers off (dropped on SQLite)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
            cursor.execute(sql, params)


@pytest.fixture
def events(alice):
    for detail in ("one", "two", "three", "four"):
        record(alice, AuditEvent.Action.VIEW, alice, detail=detail)
    _seal()
    return list(AuditEvent.objects.order_by("seq"))


def test_it_chains_every_entry_in_the_order_written(events):
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert [e.detail for e in events] == ["one", "two", "three", "four"]
    previous = ""
    for event in events:
        assert event.chain == chain._hash(previous + event.digest)
        previous = event.chain
    code, output = _verify()
    assert code == 0, output
    assert "audit.AuditEvent: 4 entries, chain intact" in output
    assert f"audit.AuditEvent head: 4:{events[-1].chain}" in output


def test_it_finds_a_deleted_entry(events):
    _behind_the_back("DELETE FROM audit_auditevent WHERE seq = 2")
    code, output = _verify()
    assert code == 1
    assert "entries 2 are missing (deleted) before entry 3" in output


def test_it_finds_an_altered_entry(events):
    _behind_the_back("UPDATE audit_auditevent SET detail = 'nothing to see' WHERE seq = 3")
    code, output = _verify()
    assert code == 1
    assert "entry 3 was altered" in output


def test_it_finds_an_entry_slipped_in_without_its_seal(events, alice):
    _behind_the_back(
        "INSERT INTO audit_auditevent (id, at, actor_role, action, high_severity, object_type,"
        " detail, request_id) VALUES (%s, %s, '', 'view', %s, '', 'forged', '')",
        params=[
            "00000000000040008000000000000001"
            if connection.vendor == "sqlite"
            else "00000000-0000-4000-8000-000000000001",
            "2020-01-01 00:00:00" if connection.vendor == "sqlite" else "2020-01-01T00:00:00Z",
            False,
        ],
    )
    code, output = _verify()
    assert code == 1
    assert "1 entries were written without their seal" in output


def test_it_finds_removed_newest_entries_with_the_head_noted_earlier(events):
    head = f"audit.AuditEvent={events[-1].seq}:{events[-1].chain}"
    assert _verify("--expect-head", head)[0] == 0
    _behind_the_back("DELETE FROM audit_auditevent WHERE seq = 4")
    assert _verify()[0] == 0  # the chain alone cannot tell: it is shorter, and consistent
    code, output = _verify("--expect-head", head)
    assert code == 1
    assert "entry 4 no longer has the hash noted" in output


def test_the_application_cannot_delete_entries_with_sql_on_either_database(
    events, alice, organisation
):
    CaseFactory(organisation=organisation, case_manager=alice)  # rows in the history too
    _seal()
    for statement in ("DELETE FROM audit_auditevent", "DELETE FROM history_change"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.count() == 4


def test_truncate_is_refused_on_postgresql(events):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE is refused (test above)")
    for table in ("audit_auditevent", "history_change"):
        with (
            pytest.raises(DatabaseError, match="append-only: it cannot be truncated"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"TRUNCATE {table}")
    assert AuditEvent.objects.count() == 4


class TestChangeHistory:
    def test_it_chains_the_history_and_finds_a_deleted_change(self, alice, organisation):
        case = CaseFactory(organisation=organisation, case_manager=alice)
        update_identity(
            case,
            by=alice,
            data={"given_name": "Mira"},
            expected_version=case.person.version,
        )
        _seal()
        assert _verify()[0] == 0
        seqs = list(Change.objects.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 3
        _behind_the_back("DELETE FROM history_change WHERE seq = %s", "history_change", [seqs[1]])
        code, output = _verify()
        assert code == 1
        assert f"history.Change: BROKEN: entries {seqs[1]} are missing" in output

    def test_erasure_blanks_the_values_and_keeps_the_chain_whole(self, alice, organisation):
        case = CaseFactory(organisation=organisation, case_manager=alice)
        other = CaseFactory(organisation=organisation, case_manager=alice)
        _seal()
        rows = Change.objects.filter(person_id=case.person_id)
        assert rows.exists()
        erase_person(case.person, by=None, reason="test")
        _seal()
        assert rows.exists()
        assert not rows.filter(before__isnull=False).exists()
        assert not rows.filter(after__isnull=False).exists()
        assert Change.objects.filter(person_id=other.person_id, after__isnull=False).exists()
        code, output = _verify()
        assert code == 0, output
        assert "blanked by erasure" in output
        # Blanked rows are still checked: who changed what, when.
        _behind_the_back(
            "UPDATE history_change SET model = 'cases.contact' WHERE person_id = %s",
            "history_change",
            [case.person_id.hex if connection.vendor == "sqlite" else case.person_id],
        )
        code, output = _verify()
        assert code == 1 and "was altered" in output


@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_take_turns_only_at_commit_on_postgresql(alice):
    """The chain follows the order of commits, and an open transaction that wrote an entry
    holds up nobody (the seal's lock is taken at commit), so no deadlock with row locks."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time: entries are sealed in that order")
    import psycopg

    settings = connection.settings_dict
    params = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
        "connect_timeout": 5,
    }
    insert = (
        "INSERT INTO audit_auditevent (id, at, actor_role, action, high_severity, object_type,"
        " detail, request_id) VALUES (gen_random_uuid(), now(), '', 'view', false, '', %s, '')"
    )
    with psycopg.connect(**params) as first, psycopg.connect(**params) as second:
        first.execute("SET lock_timeout = '2s'")
        second.execute("SET lock_timeout = '2s'")
        first.execute(insert, ["written first, committed last"])
        second.execute(insert, ["written second, committed first"])
        second.commit()  # does not wait for `first`, still open
        first.commit()
    order = list(AuditEvent.objects.order_by("seq").values_list("detail", flat=True))
    assert order[-2:] == ["written second, committed first", "written first, committed last"]
    code, output = _verify()
    assert code == 0, output
