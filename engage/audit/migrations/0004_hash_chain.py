"""The audit log hash-chained, and emptied by nobody (issue 10 #6); see engage/lib/chain.py.

PostgreSQL: each entry is sealed at commit by a deferred trigger (SECURITY DEFINER, so the
application's role needs no UPDATE right), TRUNCATE is refused by a statement trigger, and the
row guard lets through only the seal's UPDATE. SQLite: each entry is sealed as it is inserted;
UPDATE is refused but for the seal, and DELETE is refused now too, but while `flush` runs
(the test runner empties SQLite tables with DELETE; see the history's `flush` command).
Entries written before this migration are sealed here, oldest first.
"""

from django.db import migrations, models

# The linter (R39) refuses a unique index added to an existing table. Here it is safe: the
# column is new and NULL in every row the running version writes, and the index is partial
# (non-NULL only), so it cannot refuse their inserts; building it locks the table for as long as
# sealing the existing rows takes, once. The linter is a development tool: absent in production.
try:
    from django_migration_linter import IgnoreMigration

    LINTER = [IgnoreMigration()]
except ImportError:
    LINTER = []

from engage.lib import chain

LABEL = "audit.AuditEvent"


def _pg_guard(model) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND {chain.sealing_update_sql(model, "postgresql")} THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'the audit log is append-only';
        END;
        $$ LANGUAGE plpgsql""",
    ]


def _sqlite_guard(model) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS audit_append_only",
        f"""CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit_auditevent
        WHEN NOT {chain.sealing_update_sql(model, "sqlite")}
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        "DROP TRIGGER IF EXISTS audit_no_delete",
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditevent
        WHEN NOT engage_flushing()
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    model = apps.get_model("audit", "AuditEvent")
    guard = _pg_guard(model) if vendor == "postgresql" else _sqlite_guard(model)
    for statement in guard + chain.install_sql(LABEL, vendor, apps):
        schema_editor.execute(statement, params=None)
    chain.seal_existing(LABEL, schema_editor.connection, apps)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = chain.remove_sql(LABEL, vendor, apps)
    if vendor == "sqlite":
        statements.append("DROP TRIGGER IF EXISTS audit_no_delete")
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_append_only'),
    ]

    operations = LINTER + [
        migrations.AddField(
            model_name='auditevent',
            name='chain',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='digest',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='values_digest',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(condition=models.Q(('seq__isnull', False)), fields=('seq',), name='audit_seq_unique'),
        ),
        migrations.RunPython(install, remove),
    ]
