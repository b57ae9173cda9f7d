"""Empty the forms django-axes kept of failed sign-ins and password confirmations.

Until December 2026 django-axes stored the form of each failed attempt, masking only a field
named `password`: a mistyped password asked again before a sensitive action (`step_up-password`)
and the fields carried with it (an override's written reason, say) were kept in clear.
`engage.accounts.lockout.FormlessDatabaseHandler` keeps none now; this empties those kept.
"""

from django.db import migrations


def forget(apps, schema_editor):
    AccessAttempt = apps.get_model("axes", "AccessAttempt")
    AccessAttempt.objects.exclude(post_data="").update(post_data="")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_organisation_offline_hours"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
