"""`SubjectRequest` taken over from `sharing` (issue 16), in the state only.

Its table keeps the name `sharing_subjectrequest` (`Meta.db_table`): nothing is created, moved
or copied in the database, so every request recorded before stays as it was.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import engage.lib.fields


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0002_case_age_band_at_referral_person_corrected_fields_and_more"),
        ("sharing", "0005_subjectrequest_moved_to_privacy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SubjectRequest",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("access", "A copy of their data"),
                                    ("erasure", "Erasure of their data"),
                                ],
                                max_length=10,
                                verbose_name="the person asks for",
                            ),
                        ),
                        ("requested_on", models.DateField(verbose_name="asked on")),
                        (
                            "identity_check",
                            engage.lib.fields.EncryptedCharField(
                                help_text=(
                                    "For example: in person, with the case manager who knows them."
                                ),
                                max_length=200,
                                verbose_name="how we made sure it is them",
                            ),
                        ),
                        ("recorded_at", models.DateTimeField(auto_now_add=True)),
                        ("completed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "case",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="subject_requests",
                                to="cases.case",
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="subject_requests",
                                to="cases.person",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "sharing_subjectrequest",
                        "ordering": ["-requested_on", "-recorded_at"],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
