"""The change history of cases covers their new column (the per-case contact interval).

On SQLite each trigger lists the table's columns, so a column added to a tracked table needs the
triggers installed again (see engage.history.triggers); on PostgreSQL this is a no-op in effect.
"""

from django.db import migrations

from engage.history.triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0004_triggers_goal_and_action_columns"),
        ("cases", "0005_case_contact_interval"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
