"""Each submission's document kept column by column (issue 17): for each column its distinct
values and each row's number among them, which a report takes as they are (`StoredRows`).

The shapes are written here as they are today, so a later change of the models cannot change
what this migration does. The documents get no keys: the instance's secret is not the
migration's to use, so a report makes the keys of these rows, as it did before, until the
pilot's next submission is imported with them. Backwards, each document is a list of values a
row again, as migration 0007 left it.
"""

import base64
import json

import numpy as np
from django.db import migrations


def _encoded(columns, rows):
    values, codes = [], []
    for i in range(len(columns)):
        column = [row[i] for row in rows]
        distinct = list(dict.fromkeys(column))
        number = {value: n for n, value in enumerate(distinct)}
        values.append(distinct)
        codes.append(np.array([number[value] for value in column], np.int64))
    width = 2 if max((len(distinct) for distinct in values), default=0) <= 2**16 else 4
    packed = np.concatenate(codes or [np.zeros(0, np.int64)]).astype(f"<u{width}").tobytes()
    return {
        "columns": columns,
        "size": len(rows),
        "values": values,
        "width": width,
        "codes": base64.b64encode(packed).decode("ascii"),
    }


def _decoded(document):
    columns, size, width = document["columns"], document["size"], document["width"]
    packed = base64.b64decode(document["codes"], validate=True)
    numbers = np.frombuffer(packed, f"<u{width}").reshape(len(columns), size).tolist()
    values = document["values"]
    return [[values[i][numbers[i][r]] for i in range(len(columns))] for r in range(size)]


def column_by_column(apps, schema_editor):
    SubmissionRows = apps.get_model("mel", "SubmissionRows")
    for kept in SubmissionRows.objects.order_by("pk"):
        document = json.loads(kept.payload)
        if "rows" not in document:
            continue
        kept.payload = json.dumps(
            _encoded(document["columns"], document["rows"]), separators=(",", ":")
        )
        kept.save(update_fields=["payload"])


def a_list_a_row(apps, schema_editor):
    SubmissionRows = apps.get_model("mel", "SubmissionRows")
    for kept in SubmissionRows.objects.order_by("pk"):
        document = json.loads(kept.payload)
        if "rows" in document:
            continue
        rows = {"columns": document["columns"], "rows": _decoded(document)}
        kept.payload = json.dumps(rows, separators=(",", ":"))
        kept.save(update_fields=["payload"])


class Migration(migrations.Migration):
    dependencies = [
        ("mel", "0007_submission_rows"),
    ]

    operations = [migrations.RunPython(column_by_column, a_list_a_row)]
