"""Each case's count of writes indexed with its organisation and case (issue 17,
`case_rows.writes` and `case_rows.census`), to be read from the index alone: each kept row holds
its encrypted cells before these. Built CONCURRENTLY on PostgreSQL (as cases 0011): every write
of a case's records counts in this table, so a lock on it would hold them all."""

from django.db import migrations, models

from engage.cases.migrations._concurrently import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("mel", "0010_organisation_rows"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="caserow",
            index=models.Index(
                fields=["organisation", "case_id", "writes"], name="case_row_writes"
            ),
        ),
    ]
