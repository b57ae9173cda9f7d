"""Reading a pilot's rows for a period that ends before its submission (the dataset spec,
version 2: "Submissions are kept, not replaced").

The hub keeps one submission per pilot and `period_end`. A report for a period ending `E` reads,
for each pilot, the submission with the smallest `period_end ≥ E`, else the latest one. Where
that submission is later than `E`, each row is taken back to `E`: what carries a month is
rolled back (a referral, an inclusion, a closure, an outcome after `E` did not happen yet);
what carries none cannot be (the engagement level, the counts of contacts and assessments, the
vulnerability domains, the case manager), and the latest ratings given after `E` are left out
(emptied, so the row drops out of the CAP-01..03 denominators). `RolledBack` says what could
not be rolled back, for the report's coverage.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from engage.mel.dataset.stored import StoredRows

# Facts without a month: a later submission's value stands for `E` too.
UNDATED = ("engagement_level", "assessments", "contacts", "face_to_face_contacts",
           "vulnerable", "vulnerabilities", "case_manager_ref")  # fmt: skip
RATINGS_LATEST = ("idm_latest", "engage_latest", "wellbeing_latest")


class HasPeriodEnd(Protocol):
    period_end: str


S = TypeVar("S", bound=HasPeriodEnd)


def submission_for(held: Sequence[S], end: str) -> S | None:
    """Of one pilot's submissions (any order), the one a report ending `end` reads: the
    smallest `period_end ≥ end`, else the latest."""
    ordered = sorted(held, key=lambda entry: entry.period_end)
    if not ordered:
        return None
    return next((entry for entry in ordered if entry.period_end >= end), ordered[-1])


@dataclass
class RolledBack:
    """One pilot's rows as of `end`, and what of them could not be taken back to `end`."""

    period_end: str  # of the submission read
    end: str
    rows: Sequence[dict[str, str]] = field(default_factory=list)
    # Columns whose value may be later than `end` (undated facts of a later submission; an
    # outcome without `outcome_month`, as in version 1; ratings without their month).
    not_rolled_back: set[str] = field(default_factory=set)
    ratings_left_out: bool = False  # some latest ratings after `end` were left out of CAP-*

    @property
    def later(self) -> bool:
        return self.period_end > self.end

    def as_dict(self) -> dict[str, Any]:
        return {
            "period_end": self.period_end,
            "rolled_back": self.later,
            "not_rolled_back": sorted(self.not_rolled_back),
            "ratings_left_out": self.ratings_left_out,
        }


def roll_back(rows: Sequence[dict[str, str]], *, period_end: str, end: str) -> RolledBack:
    """The rows of a submission for `period_end`, as of `end` (the rows given, when not later).
    A row with nothing to take back is the row read, not a copy (a `KeyedRow` keeps its keys)."""
    result = RolledBack(period_end, end)
    if period_end <= end:
        result.rows = rows
        return result
    if isinstance(rows, StoredRows):
        return _rolled_back_columns(rows, result)
    taken: list[dict[str, str]] = []
    result.rows = taken
    for row in rows:
        if row["referral_month"] > end:
            continue  # not referred yet at `end`
        result.not_rolled_back.update(UNDATED)
        changes: dict[str, str] = {}
        if row["inclusion_month"] > end:
            changes.update(included="false", inclusion_month="", engagement_level="unknown")
        if row["closure_month"] > end:
            changes.update(status="active", closure_month="", closure_reason="",
                           disengagement_factors="")  # fmt: skip
        if row["outcome"] and not row.get("outcome_month"):
            result.not_rolled_back.add("outcome")  # version 1: the outcome carries no month
        elif row.get("outcome_month", "") > end:
            changes.update(outcome="", outcome_permanence="", outcome_month="")
        changes.update(_ratings_as_of(row, end, result))
        taken.append({**row, **changes} if changes else row)
    return result


def _rolled_back_columns(rows: StoredRows, result: RolledBack) -> RolledBack:
    """`roll_back` of rows kept column by column, the same rules on the columns: each test is
    made once a distinct value, and the rows stay column by column (`StoredRows`)."""
    end = result.end
    rows = rows.taken(~rows.where("referral_month", lambda month: month > end))
    if rows.size:
        result.not_rolled_back.update(UNDATED)
    included_later = rows.where("inclusion_month", lambda month: month > end)
    closed_later = rows.where("closure_month", lambda month: month > end)
    outcome = rows.where("outcome", bool)
    undated_outcome = outcome & rows.where("outcome_month", lambda month: not month)
    outcome_later = rows.where("outcome_month", lambda month: month > end)
    assessed = rows.where("assessments", lambda count: count not in ("", "0"))
    undated_ratings = assessed & rows.where("latest_assessment_month", lambda month: not month)
    ratings_later = assessed & rows.where("latest_assessment_month", lambda month: month > end)
    if undated_outcome.any():
        result.not_rolled_back.add("outcome")  # version 1: the outcome carries no month
    if undated_ratings.any():
        result.not_rolled_back.add("ratings")  # version 1: the ratings carry no month
    result.ratings_left_out = bool(ratings_later.any())
    rows = rows.set(included_later, included="false", inclusion_month="",
                    engagement_level="unknown")  # fmt: skip
    rows = rows.set(closed_later, status="active", closure_month="", closure_reason="",
                    disengagement_factors="")  # fmt: skip
    rows = rows.set(outcome_later & ~undated_outcome, outcome="", outcome_permanence="",
                    outcome_month="")  # fmt: skip
    result.rows = rows.set(ratings_later, **dict.fromkeys(RATINGS_LATEST, ""))
    return result


def _ratings_as_of(row: dict[str, str], end: str, result: RolledBack) -> dict[str, str]:
    """What of the row's latest ratings is left out as of `end`."""
    if row["assessments"] in ("", "0"):
        return {}
    latest = row.get("latest_assessment_month", "")
    if not latest:
        result.not_rolled_back.add("ratings")  # version 1: the ratings carry no month
    elif latest > end:
        result.ratings_left_out = True
        return dict.fromkeys(RATINGS_LATEST, "")
    return {}


def coverage_entry(pilot: str, period_end: str, version: int, end: str) -> dict[str, Any]:
    """What a report ending `end` says of one pilot's submission read (for `period_end`, of
    dataset `version`): whether it was rolled back, and which facts could not be."""
    later = period_end > end
    undated = list(UNDATED) + (["outcome", "ratings"] if version < 2 else [])
    return {
        "pilot": pilot,
        "period_end": period_end,
        "rolled_back": later,
        "not_rolled_back": sorted(undated) if later else [],
    }
