"""The change history of people again after the nationality column was widened (XXA, XXX).

SQLite rebuilds a table to change a column, which drops its triggers; they are installed again
(see engage.history.triggers). On PostgreSQL this is a no-op in effect.
"""

from django.db import migrations

from engage.history.triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0007_triggers_plan_review_and_closure_kept_open"),
        ("cases", "0008_nationality_stateless_criterion_established_by"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
