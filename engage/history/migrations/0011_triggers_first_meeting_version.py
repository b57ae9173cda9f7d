"""The triggers of the first meeting list its new column, `version` (cases.0014).

On SQLite the triggers list each column, so a column added to a tracked table is recorded only
once they are made again (engage.history.triggers); PostgreSQL's diff the whole row already.
"""

from django.db import migrations

from engage.history.triggers import column_added, install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0010_triggers_subject_request_in_privacy"),
        ("cases", "0014_first_meeting_version"),
    ]

    operations = [
        migrations.RunPython(install_triggers, column_added("cases.FirstMeeting", "version"))
    ]
