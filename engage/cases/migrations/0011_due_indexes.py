"""Indexes for what is due on each case (issue 17): a case's latest contact, its oldest open
action past its date, and whether it waits for approval, read by index instead of by scanning
the organisation's records. Built CONCURRENTLY on PostgreSQL, so writing contacts does not wait
for the build on a large database; SQLite has no such thing and builds them as usual."""

from django.db import migrations, models

from engage.cases.migrations._concurrently import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0010_reindex_search"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="action",
            index=models.Index(
                condition=models.Q(("status", "open")),
                fields=["goal", "due_date"],
                name="action_open_due",
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="caseplan",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["case"], name="caseplan_pending"
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="closure",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["case"], name="closure_pending"
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="contact",
            index=models.Index(fields=["case", "-date"], name="contact_case_date"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="inclusiondecision",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["case"],
                name="inclusion_pending",
            ),
        ),
    ]
