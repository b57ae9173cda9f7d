"""Each submission's rows kept as one encrypted document (`SubmissionRows`), not one encrypted
token a row (`DatasetRow`, issue 17): the rows are moved, and the old table emptied.

The move is written here with the document's shape as it is today (`{"columns", "rows"}`), so a
later change of the models cannot change what this migration does. Backwards, the rows go back
to one token each.
"""

import json

import django.db.models.deletion
from django.db import migrations, models

import engage.lib.fields


def keep_whole(apps, schema_editor):
    """Each submission with rows (or an empty one: it holds an empty list) gets its document,
    the rows in the order they were inserted; a version 1 submission whose rows a later import
    replaced gets none, as it held none."""
    Submission = apps.get_model("mel", "Submission")
    SubmissionRows = apps.get_model("mel", "SubmissionRows")
    DatasetRow = apps.get_model("mel", "DatasetRow")
    for entry in Submission.objects.order_by("imported_at"):
        stored = DatasetRow.objects.filter(submission=entry).order_by("pk")
        rows = [json.loads(values) for values in stored.values_list("values", flat=True) if values]
        if not rows and entry.rows:
            continue
        columns = list(rows[0]) if rows else []
        document = {"columns": columns, "rows": [[row.get(c, "") for c in columns] for row in rows]}
        SubmissionRows.objects.create(
            submission=entry, payload=json.dumps(document, separators=(",", ":"))
        )
    DatasetRow.objects.all().delete()


def back_to_one_token_a_row(apps, schema_editor):
    SubmissionRows = apps.get_model("mel", "SubmissionRows")
    DatasetRow = apps.get_model("mel", "DatasetRow")
    for kept in SubmissionRows.objects.select_related("submission").order_by("pk"):
        document = json.loads(kept.payload)
        rows = [dict(zip(document["columns"], values)) for values in document["rows"]]
        DatasetRow.objects.bulk_create(
            DatasetRow(
                submission=kept.submission,
                pilot=row["pilot"],
                case_ref=row["case_ref"],
                values=json.dumps(row),
            )
            for row in rows
        )
    SubmissionRows.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("mel", "0006_member_feedback"),
    ]

    operations = [
        migrations.CreateModel(
            name="SubmissionRows",
            fields=[
                (
                    "submission",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="mel.submission",
                    ),
                ),
                ("payload", engage.lib.fields.EncryptedTextField()),
            ],
            options={
                "verbose_name_plural": "submission rows",
            },
        ),
        migrations.RunPython(keep_whole, back_to_one_token_a_row),
    ]
