"""The change history covers the cases taken offline and the outbox items applied (R22), like every
record about a case: who took which case offline or sent what, when. They hold ids and times only.

On SQLite each tracked table has its own triggers, so a new tracked model needs them installed
(see engage.history.triggers); on PostgreSQL the new tables get their function and trigger.
"""

from django.db import migrations

from engage.history.triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0010_triggers_subject_request_in_privacy"),
        ("offline", "0001_offline_cases_devices_syncs"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
