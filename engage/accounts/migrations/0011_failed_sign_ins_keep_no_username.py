"""Replace the usernames django-axes kept of failed sign-ins by the lockout's keyed digest.

Until December 2026 django-axes kept each failed attempt's username as typed, and what is typed
in that box is at times the password. `engage.accounts.lockout.username_key` keeps a digest now;
this turns those kept before into the same digest, so their count goes on where it was.
"""

from django.db import migrations

# The function, not a copy: the digest must be the one the lockout counts by.
from engage.accounts.lockout import of_username


def digest(apps, schema_editor):
    for name in ("AccessAttempt", "AccessFailureLog"):
        model = apps.get_model("axes", name)
        for pk, username in (
            model.objects.exclude(username__startswith="u:")
            .exclude(username=None)
            .values_list("pk", "username")
        ):
            model.objects.filter(pk=pk).update(username=of_username(username))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_app_secrets_kept_encrypted"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(digest, migrations.RunPython.noop)]
