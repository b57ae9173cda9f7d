"""Version 2 of the network dataset (shared/spec/network-dataset.md, "Version 2"): its four
columns derived, written and checked; version 1 still read."""

import csv
import hashlib
import io
import json
from dataclasses import dataclass

import pytest

from engage.cases.factories import days_ago
from engage.cases.models import Case
from engage.cases.models.closure import DisengagementFactor
from engage.mel.dataset import anonymity, rollback, submission
from engage.mel.dataset.rollback import roll_back, submission_for
from engage.mel.dataset.rows import (
    COLUMNS,
    COLUMNS_V1,
    COLUMNS_V2,
    DISENGAGEMENT_CODES,
    derive_rows,
)
from engage.mel.report import indicators
from tests.mel.rows import row
from tests.mel.test_dataset import active_case  # noqa: F401 (a fixture)

PERIOD_END = days_ago(0).strftime("%Y-%m")


def _folder(tmp_path, rows, *, version=2, columns=COLUMNS):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values[c] for c in columns])
    data = buffer.getvalue().encode()
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cases.csv").write_bytes(data)
    manifest = {"schema": "atd-network-dataset", "version": version, "pilot": "BG-CLA",
                "period_end": "2024-06", "generated_at": "2024-07-01T00:00:00Z",
                "rows": len(rows), "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
    if version == 2:
        manifest |= {"quasi_identifiers": list(anonymity.QUASI_IDENTIFIERS),
                     "k_anonymity": anonymity.k_anonymity(rows), "suppressed": 0}  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_it_has_the_specs_factor_codes():
    assert tuple(DisengagementFactor.values) == DISENGAGEMENT_CODES


@pytest.mark.django_db
def test_it_derives_the_four_columns(active_case, organisation):  # noqa: F811
    Case.objects.filter(pk=active_case.pk).update(
        outcome="protection", outcome_permanence="permanent", outcome_date=days_ago(0)
    )
    (derived,) = derive_rows(organisation, PERIOD_END)
    assert derived["outcome_month"] == PERIOD_END
    assessment = active_case.assessments.get()
    assert derived["latest_assessment_month"] == assessment.date.strftime("%Y-%m")
    assert len(derived["case_manager_ref"]) == 64
    assert active_case.case_manager_id.hex not in derived["case_manager_ref"]
    assert derived["case_manager_ref"] != derived["case_ref"]
    assert derived["disengagement_factors"] == ""


CHECKS = [
    ({"outcome": "protection", "outcome_permanence": "permanent"}, "outcome_month", "set if and only if outcome is set"),
    ({"outcome_month": "2024-01"}, "outcome_month", "set if and only if outcome is set"),
    ({"outcome": "other", "outcome_permanence": "temporary", "outcome_month": "2022-12"}, "outcome_month", "before referral_month"),
    ({"outcome": "other", "outcome_permanence": "temporary", "outcome_month": "2024-07"}, "outcome_month", "after period_end"),
    ({"assessments": "1"}, "latest_assessment_month", "set if and only if assessments ≥ 1"),
    ({"latest_assessment_month": "2024-01"}, "latest_assessment_month", "set if and only if"),
    ({"assessments": "2", "latest_assessment_month": "2023-13"}, "latest_assessment_month", "is not a month"),
    ({"case_manager_ref": "abc"}, "case_manager_ref", "16 to 64"),
    ({"case_manager_ref": "G" * 16}, "case_manager_ref", "16 to 64"),
    ({"disengagement_factors": "fear;nope"}, "disengagement_factors", "must be a ;-list"),
    ({"disengagement_factors": "fear;fear", "engagement_level": "disengaged"}, "disengagement_factors", "must be a ;-list"),
    ({"disengagement_factors": "fear"}, "disengagement_factors", "neither closed as disengaged"),
]  # fmt: skip


@pytest.mark.parametrize(("values", "column", "message"), CHECKS)
def test_it_checks_the_four_columns(values, column, message):
    faults = submission.check_row(row(1, **values), "BG-CLA", "2024-06", 2)
    assert any(c == column and message in m for c, m in faults), faults
    # Version 1 has no such columns: nothing of them is checked.
    assert not [c for c, _m in submission.check_row(row(1, **values), "BG-CLA", "2024-06", 1)
                if c in ("outcome_month", "latest_assessment_month", "case_manager_ref",
                         "disengagement_factors")]  # fmt: skip


GOOD = [
    {},
    {"outcome": "other", "outcome_permanence": "temporary", "outcome_month": "2023-01"},
    {"assessments": "2", "latest_assessment_month": "2024-06", "case_manager_ref": "0a" * 8},
    {"disengagement_factors": "fear;moved", "engagement_level": "disengaged"},
    {"disengagement_factors": "contact_lost", "status": "closed", "closure_month": "2024-01",
     "closure_reason": "absconded"},
]  # fmt: skip


def test_it_names_every_fault_of_a_row_in_the_columns_order():
    """A row's closed columns and ratings are each told good in one pass: a row with faults
    among them still has each named, in the order the columns are checked, by both versions."""
    values = {"sex": "woman", "status": "open", "idm_baseline": "0", "engage_latest": "6",
              "city": "=1+1", "age_band": "=2"}  # fmt: skip
    for version in (1, 2):
        faults = submission.check_row(row(1, **values), "BG-CLA", "2024-06", version)
        named = [column for column, _message in faults]
        assert named[:2] == ["city", "age_band"]  # formula-like values first, in the row's order
        assert [c for c in named[2:] if c in values] == [
            "sex", "age_band", "status", "idm_baseline", "engage_latest"
        ]  # fmt: skip
        assert ("idm_baseline", "'0' is not 1 to 5") in faults
    # Version 1 refuses a suppressed detention status, version 2 takes it.
    suppressed = row(1, detention_at_referral="unknown")
    assert [c for c, _m in submission.check_row(suppressed, "BG-CLA", "2024-06", 1)] == [
        "detention_at_referral"
    ]
    assert submission.check_row(suppressed, "BG-CLA", "2024-06", 2) == []


@pytest.mark.parametrize("values", GOOD)
def test_it_accepts_good_rows(values):
    assert submission.check_row(row(1, **values), "BG-CLA", "2024-06", 2) == []


def test_it_reads_version_2_and_still_reads_version_1(tmp_path):
    two = row(1, outcome="other", outcome_permanence="temporary", outcome_month="2023-05")
    read = submission.read(_folder(tmp_path / "two", [two]))
    assert read.version == 2 and read.rows == [two]
    one = submission.read(_folder(tmp_path / "one", [two], version=1, columns=COLUMNS_V1))
    assert one.version == 1
    assert one.rows == [{**two, "outcome_month": ""}]  # unknown in version 1
    with pytest.raises(submission.InvalidSubmission, match="problem"):  # v2 header in v1
        submission.read(_folder(tmp_path / "mixed", [two], version=1, columns=COLUMNS))


def test_it_writes_version_1_without_the_new_columns_and_version_2_with_them(tmp_path):
    two = row(1)
    submission.write(tmp_path / "one", "BG-CLA", "2024-06", [two])
    assert (tmp_path / "one" / "cases.csv").read_text().splitlines()[0] == ",".join(COLUMNS_V1)
    protection = {"quasi_identifiers": [], "k_anonymity": 0, "suppressed": 0}
    submission.write(tmp_path / "two", "BG-CLA", "2024-06", [two], protection=protection)
    assert (tmp_path / "two" / "cases.csv").read_text().splitlines()[0] == ",".join(COLUMNS)


@pytest.mark.parametrize("count", [0, 999, 1000, 2001])
def test_it_writes_every_row_whatever_the_chunks_and_states_the_files_digest(tmp_path, count):
    """The CSV is written a thousand rows at a time: on each side of a chunk's end, every row is
    written once, the manifest's digest is the file's and the preview's, and the file reads back
    as the rows given (a formula-like value behind its quote, as before)."""
    rows = [row(n + 1, city="=HYPERLINK(1)" if n == 0 else "Sofia") for n in range(count)]
    manifest = submission.write(tmp_path, "BG-CLA", "2024-06", rows)
    written = (tmp_path / "cases.csv").read_bytes()
    assert manifest["rows"] == count and written.count(b"\n") == count + 1
    assert manifest["sha256"] == hashlib.sha256(written).hexdigest()
    assert manifest["sha256"] == submission.csv_sha256(rows, version=1)
    read = list(csv.DictReader(io.StringIO(written.decode())))
    assert [r["case_ref"] for r in read] == [r["case_ref"] for r in rows]
    assert {r["city"] for r in read} <= {"'=HYPERLINK(1)", "Sofia"}


# The hub keeps every submission and reads the right one per period, rolled back.


@dataclass
class Held:
    period_end: str


def test_it_reads_the_smallest_later_submission_else_the_latest():
    held = [Held("2024-06"), Held("2023-12"), Held("2024-12")]
    assert submission_for(held, "2023-12").period_end == "2023-12"
    assert submission_for(held, "2024-01").period_end == "2024-06"
    assert submission_for(held, "2024-07").period_end == "2024-12"
    assert submission_for(held, "2025-03").period_end == "2024-12"  # none later: the latest
    assert submission_for([], "2024-01") is None


# Four rows of a submission for 2024-06, taken back to 2023-12 by hand.
LATER = [
    # included 2023-02, closed disengaged 2024-03 with factors, outcome 2024-02, rated 2024-05
    row(1, status="closed", closure_month="2024-03", closure_reason="disengaged",
        disengagement_factors="fear", outcome="protection", outcome_permanence="permanent",
        outcome_month="2024-02", idm_baseline="2", idm_latest="4", engage_baseline="2",
        engage_latest="3", wellbeing_baseline="1", wellbeing_latest="2", assessments="2",
        latest_assessment_month="2024-05"),
    # included 2024-01 (after the end): not yet included; outcome 2023-11 stays
    row(2, referral_month="2023-10", inclusion_month="2024-01", engagement_level="compliant",
        outcome="other", outcome_permanence="temporary", outcome_month="2023-11"),
    # referred 2024-04: did not exist yet
    row(3, referral_month="2024-04", inclusion_month="2024-04"),
    # closed 2023-06 removed, rated 2023-09: all in time, unchanged
    row(4, status="closed", closure_month="2023-06", closure_reason="removed",
        idm_baseline="3", idm_latest="3", assessments="2", latest_assessment_month="2023-09"),
]  # fmt: skip


def test_it_rolls_a_later_submission_back_by_hand():
    taken = roll_back(LATER, period_end="2024-06", end="2023-12")
    one, two, four = taken.rows
    assert one == {**LATER[0], "status": "active", "closure_month": "", "closure_reason": "",
                   "disengagement_factors": "", "outcome": "", "outcome_permanence": "",
                   "outcome_month": "", "idm_latest": "", "engage_latest": "",
                   "wellbeing_latest": ""}  # fmt: skip
    assert two == {
        **LATER[1],
        "included": "false",
        "inclusion_month": "",
        "engagement_level": "unknown",
    }
    assert four == LATER[3]
    assert taken.later and taken.ratings_left_out
    assert taken.as_dict() == {
        "period_end": "2024-06", "rolled_back": True, "ratings_left_out": True,
        "not_rolled_back": sorted(rollback.UNDATED),
    }  # fmt: skip
    # Its indicators as of 2023-12, by hand: rows 1 and 4 in the cohort (row 2 not included
    # yet); row 1 active (its closure later), row 4 removed; no outcome in the cohort (row 1's
    # came later); CAP-01 has row 4 only (row 1's latest rating is after the end).
    result = {i.id: i for i in indicators.compute(taken.rows, "2023-01", "2023-12", None)}
    assert (result["BEN-03"].numerator, result["BEN-01"].numerator) == (2, 1)
    assert (result["ENG-03"].numerator, result["RES-01"].numerator) == (1, 0)
    assert (result["CAP-01"].numerator, result["CAP-01"].denominator) == (0, 1)


def test_it_reads_version_1_as_it_can_and_says_what_it_could_not():
    v1 = [{**r, **dict.fromkeys(COLUMNS_V2, "")} for r in LATER[:1]]
    taken = roll_back(v1, period_end="2024-06", end="2023-12")
    (one,) = taken.rows
    assert one["status"] == "active" and one["outcome"] == "protection"  # no month: kept
    assert one["idm_latest"] == "4"  # no month: kept
    assert {"outcome", "ratings"} <= taken.not_rolled_back and not taken.ratings_left_out


def test_it_leaves_a_submission_for_the_end_or_before_as_it_is():
    for period_end in ("2023-12", "2023-06"):
        taken = roll_back(LATER, period_end=period_end, end="2023-12")
        assert taken.rows == LATER and not taken.later and not taken.not_rolled_back
