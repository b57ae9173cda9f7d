"""The languages consents were explained in, already stored, are encrypted (sharing.0011 made
the field encrypted), read and written as the column holds them (the model's field would try
to decrypt them). Here, not in sharing.0011, because the writes must not be recorded in the
change history (`purging`), which would keep each clear value as its change's "before", and
the sharing app does not depend on the history's. As history.0012 did for the case's
interpreter language.
"""

from django.db import migrations


def _rewrite(schema_editor, transform):
    """Each language stored, rewritten by `transform`, none of it recorded in the history."""
    from engage.history.context import purging

    connection = schema_editor.connection
    with purging(connection.alias), connection.cursor() as cursor:
        # nosemgrep: raw-sql (a migration, reading the column as stored)
        cursor.execute("SELECT id, language FROM sharing_consent WHERE language <> ''")
        for pk, value in cursor.fetchall():
            # nosemgrep: raw-sql
            cursor.execute(
                "UPDATE sharing_consent SET language = %s WHERE id = %s", [transform(value), pk]
            )


def encrypt_stored(apps, schema_editor):
    from engage.lib import crypto

    _rewrite(
        schema_editor, lambda value: value if crypto.is_token(value) else crypto.encrypt(value)
    )


def decrypt_stored(apps, schema_editor):
    from engage.lib import crypto

    _rewrite(
        schema_editor,
        lambda value: crypto.decrypt(value)[:100] if crypto.is_token(value) else value,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0013_triggers_data_request_version"),
        ("sharing", "0012_consent_language_encrypted"),
    ]

    operations = [migrations.RunPython(encrypt_stored, decrypt_stored)]
