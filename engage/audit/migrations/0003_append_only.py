"""The audit log is append-only for the application (R23), enforced by the database itself.

PostgreSQL refuses UPDATE and DELETE on audit rows with a trigger. SQLite refuses UPDATE the
same way; it cannot also refuse DELETE, because the test runner empties tables with DELETE on
SQLite (PostgreSQL uses TRUNCATE), so on SQLite deletion is refused by the model and queryset
only (see AuditEvent). Production runs on PostgreSQL.
"""

from django.db import migrations

PG_UP = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only';
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS audit_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_append_only()",
]
SQLITE_UP = [
    """CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_append_only"]


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        for statement in sql_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_auth_events")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]
