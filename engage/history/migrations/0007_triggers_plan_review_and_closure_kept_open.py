"""The change history of case plans and closures covers their new columns (when a plan was sent
to a supervisor and last reviewed, and by whom; when a closure sent back was set aside).

On SQLite each trigger lists the table's columns, so a column added to a tracked table needs the
triggers installed again (see engage.history.triggers); on PostgreSQL this is a no-op in effect.
"""

from django.db import migrations

from engage.history.triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0006_triggers_appointment"),
        ("cases", "0007_plan_review_and_closure_kept_open"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
