import hashlib

from django.db import migrations, models


def fingerprint_existing_tokens(apps, schema_editor):
    """Bind the tokens made before this check to their owner's password of today."""
    Token = apps.get_model("api", "PersonalAccessToken")
    for token in Token.objects.select_related("user").iterator():
        # As engage.api.models.password_fingerprint computes it.
        text = f"engage-api-token:{token.user.password}"
        token.password_fingerprint = hashlib.sha256(text.encode()).hexdigest()
        token.save(update_fields=["password_fingerprint"])


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="personalaccesstoken",
            name="password_fingerprint",
            field=models.CharField(blank=True, db_default="", max_length=64),
        ),
        migrations.RunPython(fingerprint_existing_tokens, migrations.RunPython.noop, elidable=True),
    ]
