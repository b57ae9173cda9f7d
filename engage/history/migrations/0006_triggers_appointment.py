"""The change history covers appointments (a new model pointing to a case, with a place).

On SQLite each tracked table has its own triggers, so a new tracked model needs them installed
(see engage.history.triggers); on PostgreSQL the new table gets its function and trigger.
"""

from django.db import migrations

from engage.history.triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0005_triggers_case_contact_interval"),
        ("cases", "0006_appointment"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
