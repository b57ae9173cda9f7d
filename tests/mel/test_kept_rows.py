"""A submission's rows kept whole, as one encrypted document (`mel.models.SubmissionRows`), and
migration 0007, which moved them there from one encrypted token a row (`DatasetRow`)."""

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from engage.mel import services
from engage.mel.dataset import anonymity, submission
from engage.mel.dataset.rows import COLUMNS, COLUMNS_V1
from engage.mel.models import DatasetRow, Submission, SubmissionRows
from tests.mel.rows import held_rows, row

pytestmark = pytest.mark.django_db

MOVE = importlib.import_module("engage.mel.migrations.0007_submission_rows")


def _submission(pilot="BG-CLA", period_end="2024-06", rows=0, version=2) -> Submission:
    return Submission.objects.create(pilot=pilot, period_end=period_end, generated_at="now",
                                     sha256="0" * 64, rows=rows, version=version)  # fmt: skip


def _imported(folder: Path, rows: list[dict[str, str]], pilot="BG-CLA", period_end="2024-06"):
    protection = anonymity.protect(rows)
    submission.write(folder, pilot, period_end, protection.rows,
                     protection=protection.manifest_fields())  # fmt: skip
    services.import_submission(folder)
    return protection.rows


def test_the_migration_moves_each_submissions_rows_into_one_document_and_back():
    kept = _submission(rows=2)
    rows = [row(2, city="Plovdiv"), row(1)]  # inserted in this order, read back in it
    for values in rows:
        DatasetRow.objects.create(submission=kept, pilot="BG-CLA", case_ref=values["case_ref"],
                                  values=json.dumps(values))  # fmt: skip
    replaced = _submission(period_end="2024-03", rows=3, version=1)  # a later import took them
    empty = _submission(pilot="CY-CYRC", rows=0)

    MOVE.keep_whole(apps, connection.schema_editor())

    assert not DatasetRow.objects.exists()
    assert SubmissionRows.objects.get(submission=kept).rows() == rows
    assert SubmissionRows.objects.get(submission=empty).rows() == []
    assert not SubmissionRows.objects.filter(submission=replaced).exists()
    assert services.imported_rows(["BG-CLA", "CY-CYRC"]) == rows
    assert services.imported_rows(["BG-CLA"], end="2024-03") == rows  # not the replaced one

    MOVE.back_to_one_token_a_row(apps, connection.schema_editor())

    assert not SubmissionRows.objects.exists()
    back = DatasetRow.objects.filter(submission=kept).order_by("pk")
    assert [json.loads(entry.values) for entry in back] == rows
    assert [(entry.pilot, entry.case_ref) for entry in back] == [
        ("BG-CLA", values["case_ref"]) for values in rows
    ]


def test_it_reads_a_document_kept_before_the_dataset_gained_columns():
    """A document names its columns: one kept with version 1's gives the later ones empty."""
    old = {column: value for column, value in row(1, case_manager_ref="ab" * 8).items()
           if column in COLUMNS_V1}  # fmt: skip
    document = {"columns": list(COLUMNS_V1), "rows": [[old[c] for c in COLUMNS_V1]]}
    kept = SubmissionRows.objects.create(submission=_submission(rows=1),
                                         payload=json.dumps(document))  # fmt: skip
    (read,) = SubmissionRows.objects.get(pk=kept.pk).rows()
    assert list(read) == list(COLUMNS)
    assert read == {**old, "outcome_month": "", "latest_assessment_month": "",
                    "case_manager_ref": "", "disengagement_factors": ""}  # fmt: skip


def test_a_corrupt_document_is_refused_not_read_short():
    document = {"columns": list(COLUMNS), "rows": [[row(1)[c] for c in COLUMNS][:-1]]}
    kept = SubmissionRows.objects.create(submission=_submission(rows=1),
                                         payload=json.dumps(document))  # fmt: skip
    with pytest.raises(ValueError, match="shorter"):
        SubmissionRows.objects.get(pk=kept.pk).rows()


def test_a_report_reads_every_pilots_rows_in_as_many_queries_whatever_their_number(
    tmp_path, django_assert_num_queries
):
    def read_all() -> int:
        with django_assert_num_queries(3):  # the submissions held, their rows, the audit entry
            return len(services.imported_rows(["BG-CLA", "CY-CYRC", "IT-ACT"]))

    _imported(tmp_path / "a", [row(n) for n in range(1, 8)])
    assert read_all() == 7
    _imported(tmp_path / "b", [row(n, pilot="CY-CYRC") for n in range(1, 40)], pilot="CY-CYRC")
    _imported(tmp_path / "c", [row(n, pilot="IT-ACT") for n in range(1, 90)], pilot="IT-ACT")
    _imported(tmp_path / "d", [row(n) for n in range(1, 60)], period_end="2024-05")
    assert read_all() == 7 + 39 + 89


def test_a_new_submission_for_the_same_period_replaces_the_document(tmp_path):
    first = _imported(tmp_path / "a", [row(n) for n in range(1, 8)])
    counts = services.import_submission(
        _write_again(tmp_path / "b", [*first[:5], *(row(n) for n in range(20, 25))])
    )
    assert counts == {"added": 5, "changed": 0, "unchanged": 5, "removed": 2}
    assert SubmissionRows.objects.count() == Submission.objects.count() == 1
    assert [r["case_ref"] for r in held_rows()] == [f"{n:016x}" for n in (1, 2, 3, 4, 5, *range(20, 25))]


def _write_again(folder: Path, rows: list[dict[str, str]]) -> Path:
    submission.write(folder, "BG-CLA", "2024-06", rows,
                     protection=anonymity.protect(rows).manifest_fields())  # fmt: skip
    return folder
