"""The change history covers the answers to custom fields (R22): who changed which answer of a
case's record, when; the values stay ciphertext in the history, as for notes.

On SQLite each tracked table has its own triggers, so a new tracked model needs them installed
(see engage.history.triggers); on PostgreSQL the new table gets its function and trigger.
"""

from django.db import migrations

from engage.history.triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0009_triggers_possible_duplicate"),
        ("custom", "0001_initial"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
