"""A case's contacts indexed with their type too (issue 17): the network dataset counts each
case's contacts, and those in person, from the index alone, without reading a contact's row
(its encrypted note beside the type). The new index is built before the old one goes, so
what is due stays read by index throughout; both CONCURRENTLY on PostgreSQL."""

from django.db import migrations, models

from engage.cases.migrations._concurrently import (
    AddIndexConcurrentlyOnPostgreSQL,
    RemoveIndexConcurrentlyOnPostgreSQL,
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0011_due_indexes"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="contact",
            index=models.Index(fields=["case", "-date", "type"], name="contact_case_date_type"),
        ),
        RemoveIndexConcurrentlyOnPostgreSQL(model_name="contact", name="contact_case_date"),
    ]
