"""The change history of goals and actions covers their new columns (status date, version).

On SQLite each trigger lists the table's columns, so a column added to a tracked table needs the
triggers installed again (see engage.history.triggers); on PostgreSQL this is a no-op in effect.
"""

from django.db import migrations

from engage.history.triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0003_hash_chain"),
        ("cases", "0004_goal_status_date_versions"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
