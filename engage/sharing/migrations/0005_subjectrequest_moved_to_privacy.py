"""The person's own requests moved to `privacy` (issue 16): forgotten here, in the state only.

The table `sharing_subjectrequest` stays where it is, with its rows: `privacy` 0001 takes the
model over with `db_table` naming it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0004_snapshot_recipients_and_handovers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SubjectRequest")],
            database_operations=[],
        ),
    ]
