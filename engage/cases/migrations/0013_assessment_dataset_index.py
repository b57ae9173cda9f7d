"""What the network dataset reads of a case's assessments, indexed in its order (issue 17): the
export and the live report read their dates, ratings and concerns from the index alone, where
each assessment's row holds its encrypted notes before these columns, and no longer sort them.
Built CONCURRENTLY on PostgreSQL, as 0011."""

from django.db import migrations, models

from engage.cases.migrations._concurrently import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0012_contact_index_with_type"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="assessment",
            index=models.Index(
                fields=[
                    "case", "date", "created_at", "id",
                    "informed_decisions", "engage_procedures", "wellbeing",
                    "vulnerability_child", "vulnerability_gender", "vulnerability_health",
                    "vulnerability_protection", "vulnerability_other",
                ],
                name="assessment_dataset",
            ),
        ),
    ]  # fmt: skip
