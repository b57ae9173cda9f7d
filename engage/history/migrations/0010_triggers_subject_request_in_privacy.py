"""The triggers of the person's own requests name the model where it now lives.

`SubjectRequest` moved from `sharing` to `privacy` (issue 16) with its table; the triggers
write the model's label into each change (`privacy.subjectrequest` from now on), so they are
made again. Changes recorded before keep the old label, which `history.services` still reads.
"""

from django.db import migrations

from engage.history.triggers import install_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0009_triggers_possible_duplicate"),
        ("privacy", "0001_initial"),
    ]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
