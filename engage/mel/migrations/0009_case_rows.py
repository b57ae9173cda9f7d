"""Each case's dataset row as of now, kept while it holds (issue 17, `mel.dataset.case_rows`),
and the triggers that count the writes which retire it.

No row is made here: the first export or live report derives and keeps them.
"""

import django.db.models.deletion
from django.db import migrations, models

import engage.lib.fields
from engage.mel.dataset.case_rows import install_triggers, remove_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_organisation_offline_hours"),
        ("cases", "0013_assessment_dataset_index"),
        ("mel", "0008_rows_column_by_column"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseRow",
            fields=[
                ("case_id", models.UUIDField(primary_key=True, serialize=False)),
                ("writes", models.PositiveBigIntegerField(default=0)),
                ("basis", models.BigIntegerField(default=-1)),
                ("fingerprint", models.CharField(blank=True, max_length=64)),
                ("horizon", models.DateField(blank=True, null=True)),
                ("cells", engage.lib.fields.EncryptedTextField(blank=True)),
                ("earlier_end", models.DateField(blank=True, null=True)),
                ("earlier_cells", engage.lib.fields.EncryptedTextField(blank=True)),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organisation",
                    ),
                ),
            ],
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
