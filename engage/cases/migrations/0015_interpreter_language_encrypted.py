"""The case's interpreter language is encrypted at rest, as the person's own languages are
(docs/security.md, item 55): it is free text about the person ("Tigrinya, via her cousin
Abel"), and erasure blanks the encrypted text of a person's cases, which it left.

The values already stored are encrypted by the next migration, history.0012, which keeps them
out of the change history (this app does not depend on the history's).

The column becomes `text` on PostgreSQL, where a ciphertext is longer than 100 characters. On
SQLite the field changes in Django's state only: its column holds text of any length already,
and SQLite would rebuild the whole table to retype it, breaking the triggers of the tables that
name it (the dataset's rows, engage/mel/dataset/case_rows.py) in the middle of the rebuild.
"""

from django.db import migrations

import engage.lib.fields

# The linter (R39) flags the column's type changed (PostgreSQL: varchar(100) to text). A
# machine still on the version before reads a token where it read a language, and what it
# writes in clear is read as it is by the new version (`EncryptedFromClearCharField`) until
# it is next saved or `engage rotate_keys` runs. The linter is a development tool: absent in
# production.
try:
    from django_migration_linter import IgnoreMigration
except ImportError:
    LINTER = []
else:
    LINTER = [IgnoreMigration()]


def widen(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # nosemgrep: raw-sql (schema)
        schema_editor.execute("ALTER TABLE cases_case ALTER COLUMN interpreter_language TYPE text")


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # nosemgrep: raw-sql (schema)
        schema_editor.execute(
            "ALTER TABLE cases_case ALTER COLUMN interpreter_language TYPE varchar(100)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_first_meeting_version"),
    ]

    operations = [
        *LINTER,
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="interpreter_language",
                    field=engage.lib.fields.EncryptedFromClearCharField(
                        blank=True,
                        help_text="Leave empty if no interpreter is needed.",
                        max_length=100,
                        verbose_name="interpreter language",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(widen, narrow)],
        ),
    ]
