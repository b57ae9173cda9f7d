"""The language a consent was explained in is encrypted at rest, as the person's own languages
are (docs/security.md): it is free text about the person ("Tigrinya, with her cousin
translating"), kept in clear it outlived their erasure, which blanks the encrypted text of a
person's cases. The case's interpreter language was fixed the same way (cases.0015, item 55).

The values already stored are encrypted by the next migration, history.0014, which keeps them
out of the change history (this app does not depend on the history's).

The column becomes `text` on PostgreSQL, where a ciphertext is longer than 100 characters. On
SQLite the field changes in Django's state only: its column holds text of any length already,
and SQLite would rebuild the whole table to retype it, dropping the history's triggers on it.
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
        schema_editor.execute("ALTER TABLE sharing_consent ALTER COLUMN language TYPE text")


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # nosemgrep: raw-sql (schema)
        schema_editor.execute("ALTER TABLE sharing_consent ALTER COLUMN language TYPE varchar(100)")


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0011_health_domain_only_with_health"),
    ]

    operations = [
        *LINTER,
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="consent",
                    name="language",
                    field=engage.lib.fields.EncryptedFromClearCharField(
                        max_length=100, verbose_name="language of the explanation"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(widen, narrow)],
        ),
    ]
