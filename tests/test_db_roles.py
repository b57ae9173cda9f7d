"""Issue 10, item 6 on PostgreSQL: with `engage setup_db_roles`, the application's role cannot
empty or alter the audit log and the change history (and the tables' owner cannot TRUNCATE
them either, nor DELETE from them while their triggers are on)."""

import io
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def roles(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip(
            "Database roles exist on PostgreSQL only; on SQLite whoever can write the file can "
            "do anything to it (docs/security.md, R23)"
        )
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"engage_owner_{suffix}", f"engage_app_{suffix}"
    monkeypatch.setenv("ENGAGE_DB_OWNER_PASSWORD", f"owner-{suffix}")
    monkeypatch.setenv("ENGAGE_DB_APP_PASSWORD", f"app-{suffix}")
    yield owner, app
    # Give the test database back to the test's own role, then remove both roles.
    with connection.cursor() as cursor:
        for role in (owner, app):
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone():
                cursor.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
                cursor.execute(f'DROP OWNED BY "{role}"')
                cursor.execute(f'DROP ROLE "{role}"')


def _connect(role: str) -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
        password=f"{role.split('_')[1]}-{role.rsplit('_', 1)[1]}",
        autocommit=True,
    )


def _refused(conn: psycopg.Connection, statement: str, message: str) -> None:
    with pytest.raises(psycopg.Error, match=message):
        conn.execute(statement)


def test_the_application_role_cannot_empty_or_alter_the_audit_trail(roles, alice, organisation):
    owner, app = roles
    record(alice, AuditEvent.Action.VIEW, alice, detail="before")
    CaseFactory(organisation=organisation, case_manager=alice)  # history rows
    out = io.StringIO()
    call_command("setup_db_roles", owner=owner, app=app, stdout=out)
    assert f"serve as {app}" in out.getvalue()

    with _connect(app) as conn:
        events = conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]
        changes = conn.execute("SELECT count(*) FROM history_change").fetchone()[0]
        assert events >= 1 and changes >= 1
        denied = "permission denied"
        for table in ("audit_auditevent", "history_change"):
            _refused(conn, f"DELETE FROM {table}", denied)  # noqa: S608 (a fixed name)
            _refused(conn, f"TRUNCATE {table}", denied)
            _refused(conn, f"UPDATE {table} SET actor_id = NULL", denied)  # noqa: S608
            _refused(conn, f"ALTER TABLE {table} DISABLE TRIGGER ALL", "must be owner")
            _refused(conn, f"DROP TABLE {table}", "must be owner")
        _refused(conn, "DROP TRIGGER audit_append_only ON audit_auditevent", "must be owner")
        _refused(conn, "SET session_replication_role = replica", denied)
        # Erasure's blanking goes through only with its permission, and nothing more with it.
        _refused(conn, 'UPDATE history_change SET "before" = NULL, "after" = NULL', "append-only")
        with conn.transaction():
            conn.execute("SELECT set_config('engage.purging', 'on', true)")
            conn.execute('UPDATE history_change SET "before" = NULL, "after" = NULL WHERE id IN'
                         " (SELECT id FROM history_change ORDER BY id LIMIT 1)")  # fmt: skip
        # What the application does do still works: a new entry, sealed by the owner's function.
        conn.execute(
            "INSERT INTO audit_auditevent (id, at, actor_role, action, high_severity,"
            " object_type, detail, request_id) VALUES (gen_random_uuid(), now(), '', 'view',"
            " false, '', 'as the application', '')"
        )
        sealed = conn.execute(
            "SELECT seq FROM audit_auditevent WHERE detail = 'as the application'"
        ).fetchone()[0]
        assert sealed == events + 1
        conn.execute("UPDATE accounts_user SET first_name = 'Alicia' WHERE id = %s", [alice.pk])
        # Its changes of personal data are still written to the history, and sealed.
        conn.execute("UPDATE cases_case SET referral_source = 'walk-in'")
        latest = conn.execute(
            "SELECT model, seq FROM history_change ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert latest[0] == "cases.case" and latest[1] == changes + 1

    with _connect(owner) as conn:
        # The owner could switch the triggers off (which verify_audit would then show); with
        # them on, it cannot truncate or delete either.
        _refused(conn, "TRUNCATE audit_auditevent", "cannot be truncated")
        _refused(conn, "TRUNCATE history_change", "cannot be truncated")
        _refused(conn, "DELETE FROM audit_auditevent", "append-only")

    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "audit.AuditEvent: " in out.getvalue() and "chain intact" in out.getvalue()
    assert AuditEvent.objects.filter(detail="before").exists()


def test_it_refuses_one_role_for_both(roles):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="two roles"):
        call_command("setup_db_roles", owner="engage_same", app="engage_same")


def test_engage_works_as_the_application_role(roles, alice, bob, organisation, client):
    """Reading a case (audited), changing it (history) and erasing a person (blanking the
    history) all work with the application role's rights alone."""
    from engage.cases.factories import to_active
    from engage.privacy.services import erase_person

    owner, app = roles
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    gone = CaseFactory(organisation=organisation, case_manager=alice)
    call_command("setup_db_roles", owner=owner, app=app, stdout=io.StringIO())
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(USER=app, PASSWORD=f"app-{app.rsplit('_', 1)[1]}")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app
        before = AuditEvent.objects.filter(object_id=case.pk, action="view").count()
        client.force_login(alice)
        assert client.get(f"/cases/{case.pk}/").status_code == 200
        assert AuditEvent.objects.filter(object_id=case.pk, action="view").count() == before + 1
        erase_person(gone.person, by=None, reason="test")
        out = io.StringIO()
        call_command("verify_audit", stdout=out)
        assert "blanked by erasure" in out.getvalue()
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
