"""Each organisation's kept rows in one document (issue 17, `mel.dataset.case_rows`), and the
triggers again: they now also blank an organisation's document, and count it forgotten, when
one of its people is erased or one of its cases deleted or moved to another organisation.

No document is made here: the first live report or the nightly task makes it.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

import engage.lib.fields
from engage.mel.dataset.case_rows import install_triggers


def _earlier_triggers(apps, schema_editor):
    """Back to the triggers of 0009, before the table they would delete from goes."""
    install_triggers(apps, schema_editor, documents=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_organisation_offline_hours"),
        ("cases", "0013_assessment_dataset_index"),
        ("mel", "0009_case_rows"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrganisationRows",
            fields=[
                (
                    "organisation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="accounts.organisation",
                    ),
                ),
                ("fingerprint", models.CharField(max_length=64)),
                ("payload", engage.lib.fields.EncryptedTextField()),
                ("cases", engage.lib.fields.EncryptedTextField(blank=True)),
                ("census", models.CharField(blank=True, max_length=64)),
                ("made", models.UUIDField(default=uuid.uuid4, null=True)),
                ("forgotten", models.PositiveIntegerField(default=0)),
            ],
            options={"verbose_name_plural": "organisation rows"},
        ),
        migrations.RunPython(install_triggers, _earlier_triggers),
    ]
