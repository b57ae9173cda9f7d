"""The change history hash-chained, and emptied by nobody (issue 10 #6); see engage/lib/chain.py.

The guards are installed again for the new columns (`install_triggers`: only the seal's UPDATE
and erasure's blanking of the values get through; DELETE never, but while `flush` runs on
SQLite), then the seal and, on PostgreSQL, the refusal of TRUNCATE. Rows written before this
migration are sealed here, oldest first.
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

from engage.history.triggers import install_triggers
from engage.lib import chain

LABEL = "history.Change"


def install(apps, schema_editor):
    install_triggers(apps, schema_editor)
    vendor = schema_editor.connection.vendor
    for statement in chain.install_sql(LABEL, vendor, apps):
        schema_editor.execute(statement, params=None)
    chain.seal_existing(LABEL, schema_editor.connection, apps)


def remove(apps, schema_editor):
    for statement in chain.remove_sql(LABEL, schema_editor.connection.vendor, apps):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('history', '0002_triggers'),
        # After the latest migrations that rebuilt tracked tables on SQLite (which drops their
        # triggers), so that install_triggers here puts them back.
        ('sharing', '0004_snapshot_recipients_and_handovers'),
    ]

    operations = LINTER + [
        migrations.AddField(
            model_name='change',
            name='chain',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name='change',
            name='digest',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name='change',
            name='seq',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='change',
            name='values_digest',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddConstraint(
            model_name='change',
            constraint=models.UniqueConstraint(condition=models.Q(('seq__isnull', False)), fields=('seq',), name='history_seq_unique'),
        ),
        migrations.RunPython(install, remove),
    ]
