"""The network's indicators, version 1 (shared/spec/indicators.md), computed from dataset rows.

One implementation of each indicator, for rows derived from live cases or imported alike.
Results are exact; disclosure control is applied afterwards, in one place (`disclosure.py`).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

Row = dict[str, str]

DISAGGREGATIONS = (
    "pilot",
    "country",
    "city",
    "vulnerable",
    "detention_at_referral",
    "sex",
    "age_band",
    "migration_status",
)
OUTCOME_TYPES = (
    "protection",
    "regularisation",
    "third_country",
    "voluntary_return",
    "temporary_status",
    "other",
)


def percentage(numerator: int, denominator: int) -> float | None:
    """100 * n / d rounded half up to one decimal; no value for a zero denominator."""
    if not denominator:
        return None
    value = Decimal(100 * numerator) / Decimal(denominator)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def key_of(row: Row, dimension: str) -> str:
    """The row's key in a breakdown. A suppressed city (empty, dataset version 2) is counted
    as `unknown`, its own key, like the other suppressed values."""
    if dimension == "country":
        return row["pilot"].split("-")[0]
    return row[dimension] or ("unknown" if dimension == "city" else "")


def in_cohort(row: Row, end: str) -> bool:
    """Included by `end`, minus the deceased. A death is a closure like any other: taken as of
    `end`, so a person who died after the period still counts in it, and a report for a past
    period gives the same cohort whenever it is computed."""
    return (
        row["included"] == "true"
        and row["inclusion_month"] <= end
        and not (row["closure_reason"] == "deceased" and not active_at(row, end))
    )


def active_at(row: Row, end: str) -> bool:
    return not row["closure_month"] or row["closure_month"] > end


def engagement_outcome(row: Row, end: str) -> str:
    closed = not active_at(row, end)
    reason = row["closure_reason"] if closed else ""
    if reason == "removed":
        return "removed"
    if reason in ("disengaged", "absconded") or (
        not closed and row["engagement_level"] == "disengaged"
    ):
        return "disengaged"
    return "engaged"


def _has_outcome(row: Row) -> bool:
    return bool(row["outcome"])


def _improved(prefix: str) -> tuple[Callable, Callable]:
    def eligible(row: Row) -> bool:
        return (
            row[f"{prefix}_baseline"] != ""
            and row[f"{prefix}_latest"] != ""
            and int(row["assessments"]) >= 2
        )

    def improved(row: Row) -> bool:
        return eligible(row) and int(row[f"{prefix}_latest"]) > int(row[f"{prefix}_baseline"])

    return improved, eligible


@dataclass
class Result:
    id: str
    numerator: int | None
    denominator: int | None = None
    value: float | None = None
    by: dict[str, list[dict]] = field(default_factory=dict)
    kind: str = "percentage"  # or "count", or "growth"

    def as_dict(self) -> dict:
        data = {"id": self.id, "numerator": self.numerator}
        if self.kind != "count":
            data["denominator"] = self.denominator
            data["value"] = self.value
        else:
            data["value"] = self.numerator
        if self.by:
            data["by"] = self.by
        return data


def _ratio(
    indicator: str,
    rows: list[Row],
    counts: Callable[[Row], bool],
    base: Callable[[Row], bool] = lambda row: True,
) -> Result:
    numerator = sum(1 for row in rows if base(row) and counts(row))
    denominator = sum(1 for row in rows if base(row))
    result = Result(indicator, numerator, denominator, percentage(numerator, denominator))
    for dimension in DISAGGREGATIONS:
        groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in rows:
            if base(row):
                cell = groups[key_of(row, dimension)]
                cell[1] += 1
                cell[0] += counts(row)
        result.by[dimension] = [
            {"key": key, "numerator": n, "denominator": d, "value": percentage(n, d)}
            for key, (n, d) in sorted(groups.items())
        ]
    return result


def _count(indicator: str, rows: list[Row], counts: Callable[[Row], bool]) -> Result:
    result = Result(indicator, sum(1 for row in rows if counts(row)), kind="count")
    for dimension in DISAGGREGATIONS:
        groups: dict[str, int] = defaultdict(int)
        for row in rows:
            if counts(row):
                groups[key_of(row, dimension)] += 1
        result.by[dimension] = [
            {"key": key, "numerator": n, "value": n} for key, n in sorted(groups.items())
        ]
    return result


def new_clients(rows: Iterable[Row], start: str, end: str) -> int:
    return sum(
        1 for row in rows if row["included"] == "true" and start <= row["inclusion_month"] <= end
    )


def compute(
    rows: Iterable[Row], start: str, end: str, baseline: tuple[str, str] | None = None
) -> list[Result]:
    """Every indicator of the catalogue for the period [start, end] (months)."""
    rows = list(rows)
    cohort = [row for row in rows if in_cohort(row, end)]
    people = {row["person_ref"] for row in cohort if row["person_ref"]}
    anonymous = sum(1 for row in cohort if not row["person_ref"])
    results = [
        _count("BEN-01", cohort, lambda row: active_at(row, end)),
        _count(
            "BEN-02",
            rows,
            lambda row: row["included"] == "true" and start <= row["inclusion_month"] <= end,
        ),
        _count("BEN-03", cohort, lambda row: True),
        Result("BEN-04", len(people) + anonymous, kind="count"),
        _ratio(
            "BEN-05",
            cohort,
            lambda row: row["detention_at_referral"] in ("in_detention", "released"),
        ),
        _ratio("BEN-06", cohort, lambda row: row["vulnerable"] == "false"),
        _ratio("ENG-01", cohort, lambda row: engagement_outcome(row, end) == "engaged"),
        _ratio("ENG-02", cohort, lambda row: engagement_outcome(row, end) == "disengaged"),
        _ratio("ENG-03", cohort, lambda row: engagement_outcome(row, end) == "removed"),
        _ratio("RES-01", cohort, _has_outcome),
        _outcome_types(cohort),
    ]
    for indicator, prefix in (("CAP-01", "idm"), ("CAP-02", "engage"), ("CAP-03", "wellbeing")):
        improved, eligible = _improved(prefix)
        results.append(_ratio(indicator, cohort, improved, eligible))
    results.append(_ratio("CAP-04", cohort, lambda row: int(row["assessments"]) >= 2))
    results.append(_contacts(cohort))
    results.append(_growth(rows, start, end, baseline))
    return results


def _outcome_types(cohort: list[Row]) -> Result:
    """RES-02: rows per outcome value, over rows with an outcome (the table of outcomes)."""
    with_outcome = [row for row in cohort if row["outcome"]]
    total = len(with_outcome)
    result = Result("RES-02", total, total, percentage(total, total))
    result.by["outcome"] = [
        {
            "key": outcome,
            "numerator": (n := sum(1 for row in with_outcome if row["outcome"] == outcome)),
            "denominator": total,
            "value": percentage(n, total),
        }
        for outcome in OUTCOME_TYPES
    ]
    return result


def _contacts(cohort: list[Row]) -> Result:
    """CON-01 counts contacts, not people: Σ face-to-face over Σ contacts."""
    in_person = sum(int(row["face_to_face_contacts"]) for row in cohort)
    total = sum(int(row["contacts"]) for row in cohort)
    return Result("CON-01", in_person, total, percentage(in_person, total), kind="contacts")


def _growth(rows: list[Row], start: str, end: str, baseline: tuple[str, str] | None) -> Result:
    if baseline is None:
        return Result("GRO-01", None, None, None, kind="growth")
    current = new_clients(rows, start, end)
    before = new_clients(rows, *baseline)
    return Result(
        "GRO-01", current - before, before, percentage(current - before, before), kind="growth"
    )


def baseline_before(start: str, end: str) -> tuple[str, str]:
    """The period of the same length just before [start, end]."""

    def index(month: str) -> int:
        year, number = month.split("-")
        return int(year) * 12 + int(number) - 1

    def label(i: int) -> str:
        return f"{i // 12:04d}-{i % 12 + 1:02d}"

    length = index(end) - index(start) + 1
    return label(index(start) - length), label(index(start) - 1)


def months_between(start: str, end: str) -> list[str]:
    """Every month from `start` to `end`, both included."""
    first = int(start[:4]) * 12 + int(start[5:7]) - 1
    last = int(end[:4]) * 12 + int(end[5:7]) - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(first, last + 1)]


def caseload_by_month(rows: Iterable[Row], start: str, end: str) -> list[tuple[str, int]]:
    """BEN-01 as of the end of each month of the period: the caseload over time.

    The same rule as BEN-01, taken at each month in turn (the cohort of that month, active at
    it), so the last point is the period's BEN-01."""
    rows = list(rows)
    return [
        (month, sum(1 for row in rows if in_cohort(row, month) and active_at(row, month)))
        for month in months_between(start, end)
    ]
