"""The triggers of the register of data requests list its new column, `version` (sharing.0010).

On SQLite the triggers list each column, so a column added to a tracked table is recorded only
once they are made again (engage.history.triggers); PostgreSQL's diff the whole row already.
"""

from django.db import migrations

from engage.history.triggers import column_added, install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0012_interpreter_language_encrypted_values"),
        ("sharing", "0010_datarequest_version"),
    ]

    operations = [
        migrations.RunPython(install_triggers, column_added("sharing.DataRequest", "version"))
    ]
