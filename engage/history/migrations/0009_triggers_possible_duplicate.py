"""The change history covers possible duplicates (a new model pointing to two people): who
flagged two records as maybe one person, and what a supervisor decided.

On SQLite each tracked table has its own triggers, so a new tracked model needs them installed
(see engage.history.triggers); on PostgreSQL the new table gets its function and trigger.
"""

from django.db import migrations

from engage.history.triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0008_triggers_person_nationality"),
        ("cases", "0009_possible_duplicate"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
