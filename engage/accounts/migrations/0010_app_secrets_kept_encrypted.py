"""Authenticator apps' secrets move out of django-otp's table, where they were in clear, into
`AppSecret`, encrypted with the field keys (docs/security.md). Each device's own column gets a
random key that makes no valid code."""

import secrets

import django.db.models.deletion
from django.db import migrations, models

import engage.lib.fields


def keep_secrets_apart(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    AppSecret = apps.get_model("accounts", "AppSecret")
    for device in TOTPDevice.objects.exclude(
        pk__in=AppSecret.objects.values("device_id")
    ).iterator():
        AppSecret.objects.create(device_id=device.pk, key=device.key)
        TOTPDevice.objects.filter(pk=device.pk).update(key=secrets.token_hex(20))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_forget_failed_sign_in_forms"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="AppSecret",
            fields=[
                (
                    "device",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="otp_totp.totpdevice",
                    ),
                ),
                ("key", engage.lib.fields.EncryptedCharField(max_length=80)),
            ],
        ),
        migrations.CreateModel(
            name="AppDevice",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("otp_totp.totpdevice",),
        ),
        migrations.RunPython(keep_secrets_apart, migrations.RunPython.noop),
    ]
