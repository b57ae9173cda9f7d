"""The interpreter languages already stored are encrypted (cases.0015 made the field
encrypted; docs/security.md, item 55), read and written as the column holds them (the model's
field would try to decrypt them). Here, not in cases.0015, because the writes must not be
recorded in the change history (`purging`), which would keep each clear value as its
change's "before", and the cases app does not depend on the history's.
"""

from django.db import migrations


def _rewrite(schema_editor, transform):
    """Each language stored, rewritten by `transform`, none of it recorded in the history."""
    from engage.history.context import purging

    connection = schema_editor.connection
    with purging(connection.alias), connection.cursor() as cursor:
        # nosemgrep: raw-sql (a migration, reading the column as stored)
        cursor.execute(
            "SELECT id, interpreter_language FROM cases_case WHERE interpreter_language <> ''"
        )
        for pk, value in cursor.fetchall():
            # nosemgrep: raw-sql
            cursor.execute(
                "UPDATE cases_case SET interpreter_language = %s WHERE id = %s",
                [transform(value), pk],
            )


def encrypt_stored(apps, schema_editor):
    from engage.lib import crypto

    _rewrite(schema_editor, crypto.encrypt)


def decrypt_stored(apps, schema_editor):
    from engage.lib import crypto

    _rewrite(schema_editor, lambda value: crypto.decrypt(value)[:100])


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0011_triggers_first_meeting_version"),
        ("cases", "0015_interpreter_language_encrypted"),
    ]

    operations = [migrations.RunPython(encrypt_stored, decrypt_stored)]
