"""A submission's rows kept whole, as one encrypted document (`mel.models.SubmissionRows`), and
migration 0007, which moved them there from one encrypted token a row (`DatasetRow`)."""

import base64
import copy
import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from engage.lib import crypto
from engage.mel import services
from engage.mel.dataset import anonymity, submission
from engage.mel.dataset.rows import COLUMNS, COLUMNS_V1
from engage.mel.dataset.stored import KeyedRow, StoredRows
from engage.mel.models import DatasetRow, Submission, SubmissionRows
from engage.mel.report.disclosure import Perturbation
from tests.conftest import TEST_INDEX_KEY
from tests.mel.rows import held_rows, row

pytestmark = pytest.mark.django_db

MOVE = importlib.import_module("engage.mel.migrations.0007_submission_rows")
COLUMNAR = importlib.import_module("engage.mel.migrations.0008_rows_column_by_column")


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


@pytest.mark.parametrize("shape", ["a list a row", "column by column"])
def test_it_reads_a_document_kept_before_the_dataset_gained_columns(shape):
    """A document names its columns: one kept with version 1's gives the later ones empty."""
    old = {column: value for column, value in row(1, case_manager_ref="ab" * 8).items()
           if column in COLUMNS_V1}  # fmt: skip
    document = {"columns": list(COLUMNS_V1), "rows": [[old[c] for c in COLUMNS_V1]]}
    if shape == "column by column":
        document = COLUMNAR._encoded(document["columns"], document["rows"])
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
    columns = COLUMNAR._encoded(list(COLUMNS), [[row(n)[c] for c in COLUMNS] for n in (1, 2)])
    for broken, says in [
        ({"size": 3}, "shorter or longer"),  # more rows than numbers
        ({"values": columns["values"][:-1]}, "columns and values"),
        ({"values": [*columns["values"][:-1], []]}, "numbers do not match"),  # a number too high
        ({"width": 3}, "bytes wide"),
        ({"width": [1] * len(COLUMNS)}, "shorter or longer"),  # one byte each: too few
        ({"width": [2] * (len(COLUMNS) - 1)}, "columns and widths"),
        ({"width": [3] * len(COLUMNS)}, "bytes wide"),
    ]:
        kept.payload = json.dumps({**columns, **broken})
        with pytest.raises(ValueError, match=says):
            kept.rows()


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
    assert [r["case_ref"] for r in held_rows()] == [
        f"{n:016x}" for n in (1, 2, 3, 4, 5, *range(20, 25))
    ]


def _write_again(folder: Path, rows: list[dict[str, str]]) -> Path:
    submission.write(folder, "BG-CLA", "2024-06", rows,
                     protection=anonymity.protect(rows).manifest_fields())  # fmt: skip
    return folder


def _report(rows: list[dict[str, str]], level: str = "network") -> dict:
    return services.report(rows, start="2024-01", end="2024-06", pilots=["BG-CLA"], level=level)


def _varied(count: int) -> list[dict[str, str]]:
    cities, sexes = ["Sofia", "Ruse", "Plovdiv"], ["female", "male", "unknown"]
    return [row(n, city=cities[n % 3], sex=sexes[n % 3]) for n in range(1, count + 1)]


def test_it_keeps_each_rows_two_keys_with_the_document_as_a_report_would_make_them(tmp_path):
    """The record and content keys are made once, at import, and read with the rows: the very
    keys a report made from the rows themselves, so every figure stays the same."""
    _imported(tmp_path / "a", _varied(30))
    read = services.imported_rows(["BG-CLA"])
    plain = [dict(values) for values in read]
    keys = Perturbation.of_instance()

    assert all(type(values) is KeyedRow for values in read)
    assert [values.record_key for values in read] == keys.records(plain)
    assert [values.content_key for values in read] == keys.contents(plain)
    assert keys.populations(read) == keys.populations(plain) != {}
    for level in ("network", "public"):
        assert _report(read, level) == _report(plain, level)


def test_a_keyed_row_cannot_be_changed_in_place_and_a_changed_copy_is_keyed_afresh(tmp_path):
    """A row changed after its keys were made would be counted under its old content: the keyed
    row refuses every change, and a copy (which a roll-back or a merged city makes) is keyed
    from what it holds."""
    _imported(tmp_path / "a", _varied(5))
    read = services.imported_rows(["BG-CLA"])
    first = read[0]
    before = dict(first)
    changes = [
        lambda: first.__setitem__("sex", "male"), lambda: first.update(sex="male"),
        lambda: first.pop("sex"), lambda: first.popitem(), lambda: first.clear(),
        lambda: first.setdefault("new", ""), lambda: first.__delitem__("sex"),
    ]  # fmt: skip
    for change in changes:
        with pytest.raises(TypeError, match="read-only"):
            change()
    with pytest.raises(TypeError, match="read-only"):
        first |= {"sex": "male"}
    assert read[0] is first and first == before  # nothing changed

    keys = Perturbation.of_instance()
    changed = [{**first, "sex": "other" if first["sex"] != "other" else "female"}, *read[1:]]
    assert keys.populations(changed) == keys.populations([dict(v) for v in changed])
    assert keys.populations(changed) != keys.populations(read)
    copied = copy.deepcopy(read)
    assert copied == read and [v.content_key for v in copied] == [v.content_key for v in read]


def test_keys_kept_under_another_secret_or_other_columns_are_made_again(tmp_path, settings):
    """Keys kept by an instance whose index key has since changed (or for the columns of an
    earlier dataset) would perturb the figures with the wrong secret: they are not used, and
    the report is the one the rows themselves give under the current key."""
    _imported(tmp_path / "a", _varied(20))
    kept = SubmissionRows.objects.get()
    try:
        settings.ENGAGE_INDEX_KEY = crypto.new_index_key()
        crypto.reset_keys()
        read = services.imported_rows(["BG-CLA"])
        assert not any(isinstance(values, KeyedRow) for values in read)
        assert _report(read) == _report([dict(values) for values in read])
    finally:
        settings.ENGAGE_INDEX_KEY = TEST_INDEX_KEY
        crypto.reset_keys()

    document = json.loads(kept.payload)
    document["keys"]["stamp"] = Perturbation.of_instance().stamp(COLUMNS_V1)
    kept.payload = json.dumps(document)
    kept.save()
    assert not any(isinstance(values, KeyedRow) for values in kept.rows())
    # Keys that do not match the rows one for one: the document is refused, not read short.
    document["keys"]["stamp"] = Perturbation.of_instance().stamp(COLUMNS)
    records = base64.b64decode(document["keys"]["records"])
    document["keys"]["records"] = base64.b64encode(records[:-4]).decode()
    kept.payload = json.dumps(document)
    kept.save()
    with pytest.raises(ValueError, match="shorter or longer than its rows"):
        kept.rows()


def test_a_submission_read_for_an_earlier_period_keeps_the_keys_of_the_rows_it_leaves_as_they_are(
    tmp_path,
):
    """Taken back to an earlier period end, a row with nothing to take back is the row read,
    keys and all; a row taken back is a copy keyed from what it now says."""
    late = {"inclusion_month": "2024-05", "referral_month": "2024-04"}
    closed = {"status": "closed", "closure_month": "2024-06", "closure_reason": "resolved"}
    rows = [row(n, **(late if n % 3 == 0 else closed if n % 3 == 1 else {}))
            for n in range(1, 31)]  # fmt: skip
    _imported(tmp_path / "a", rows)

    read = services.imported_rows(["BG-CLA"], end="2024-03")

    assert len(read) == 20  # the ten referred in April are not there yet
    unchanged = [values for values in read if values["status"] != "closed"
                 and type(values) is KeyedRow]  # fmt: skip
    assert len(unchanged) == 10 and not any(
        type(values) is KeyedRow for values in read if values not in unchanged
    )
    assert {values["status"] for values in read} == {"active"}
    plain = [dict(values) for values in read]
    assert Perturbation.of_instance().populations(read) == Perturbation.of_instance().populations(
        plain
    )
    assert services.report(read, start="2023-04", end="2024-03", pilots=["BG-CLA"],
                           level="network") == services.report(
        plain, start="2023-04", end="2024-03", pilots=["BG-CLA"], level="network")  # fmt: skip


def test_the_migration_keeps_each_document_column_by_column_and_back(tmp_path):
    """Documents kept a list of values a row (migration 0007's shape, and what a version still
    running during a deployment writes) become column by column, the same rows read back; and
    back again. A document of the earlier shape is read all the same."""
    rows = [row(n, city=city) for n, city in enumerate(["Sofia", "Ruse", "Sofia", ""], 1)]
    earlier = {"columns": list(COLUMNS), "rows": [[values[c] for c in COLUMNS] for values in rows]}
    kept = SubmissionRows.objects.create(submission=_submission(rows=4),
                                         payload=json.dumps(earlier))  # fmt: skip
    empty = SubmissionRows.objects.create(submission=_submission(pilot="CY-CYRC"),
                                          payload=json.dumps({"columns": [], "rows": []}))  # fmt: skip
    assert SubmissionRows.objects.get(pk=kept.pk).rows() == rows

    COLUMNAR.column_by_column(apps, connection.schema_editor())

    document = json.loads(SubmissionRows.objects.get(pk=kept.pk).payload)
    assert "rows" not in document and document["size"] == 4
    assert document["values"][COLUMNS.index("city")] == ["Sofia", "Ruse", ""]
    read = SubmissionRows.objects.get(pk=kept.pk).rows()
    assert isinstance(read, StoredRows) and read == rows
    assert not any(isinstance(values, KeyedRow) for values in read)  # no keys: made by reports
    assert _report(read) == _report(rows)
    assert list(SubmissionRows.objects.get(pk=empty.pk).rows()) == []
    assert services.imported_rows(["BG-CLA", "CY-CYRC"]) == rows

    COLUMNAR.a_list_a_row(apps, connection.schema_editor())

    assert json.loads(SubmissionRows.objects.get(pk=kept.pk).payload) == earlier
    assert SubmissionRows.objects.get(pk=kept.pk).rows() == rows
