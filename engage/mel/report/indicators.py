"""The network's indicators, version 1 (shared/spec/indicators.md), computed from dataset rows.

One implementation of each indicator, for rows derived from live cases or imported alike.
Results are exact; disclosure control is applied afterwards, in one place (`disclosure.py`).
Given record keys (`disclosure.Perturbation`), each count also carries the key of its cell (the
sum of its rows' record keys and of its population's key) under CELL_KEYS, for the perturbation
of counts at `network` and `public` level; `disclosure.apply` removes it at every level.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

Row = dict[str, str]
# An indicator as a report holds it, or one cell of its breakdowns: its numbers (as shown:
# an int, "<5", or None for withheld), value, breakdowns under "by", flags.
Cell = dict[str, Any]
CELL_KEYS = "_cell_keys"


class RecordKeys(Protocol):
    def record(self, row: Row) -> int: ...
    def person(self, person_ref: str) -> int: ...
    def populations(self, rows: Iterable[Row]) -> dict[str, int]: ...


class _Keys:
    """The record keys of one report's rows, and the population key of each cell."""

    def __init__(self, keys: RecordKeys, rows: list[Row]):
        self.keys = keys
        self.records = {id(row): keys.record(row) for row in rows}
        self.pilots = keys.populations(rows)
        self.overall = sum(self.pilots.values())

    def population(self, dimension: str | None = None, key: str | None = None) -> int:
        """A breakdown by pilot or country is its own population; every other cell's is the
        report's, so a person added anywhere moves every cell they could have been in."""
        if dimension == "pilot":
            return self.pilots.get(key, 0) if key is not None else 0
        if dimension == "country":
            return sum(v for pilot, v in self.pilots.items() if pilot.split("-")[0] == key)
        return self.overall

    def of(self, rows: Iterable[Row]) -> int:
        return sum(self.records[id(row)] for row in rows)

    def cell(
        self, dimension: str | None = None, key: str | None = None, **sums: int
    ) -> dict[str, int]:
        population = self.population(dimension, key)
        return {name: total + population for name, total in sums.items()}


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
# The values of the closed breakdowns (shared/spec/network-dataset.md; "unknown" detention is
# version 2's suppressed value). With record keys (network and public level) a breakdown by one
# of them lists every value, zeros included: a key that appears when one person arrives would
# give that person's value away whatever the noise. Pilot, country and city list the keys present.
DOMAINS = {
    "vulnerable": ("false", "true"),
    "detention_at_referral": ("at_risk", "in_detention", "none", "released", "unknown"),
    "sex": ("female", "male", "other", "unknown"),
    "age_band": ("0-17", "18-24", "25-34", "35-49", "50-64", "65+", "unknown"),
    "migration_status": (
        "asylum_seeker", "barrier_to_return", "irregular", "other", "refused_asylum_seeker",
        "unknown",
    ),
}  # fmt: skip
# At `network` and `public` level, the keys listed even when empty: every closed value, and the
# `unknown` city that small cities are merged into (`merge_small_cities`).
LISTED = {**DOMAINS, "city": ("unknown",)}
# Medians, not counts: their numerator is what they are the median of (TIM-01: the cohort's
# clients; CAS-01: the case managers).
MEDIANS = ("TIM-01", "CAS-01")
# Ratios shown as a rate, not a share: CON-02, contacts per client per month.
NOT_PERCENTAGES = ("CON-02",)
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


def _improved(prefix: str) -> tuple[Callable[[Row], bool], Callable[[Row], bool]]:
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
    by: dict[str, list[Cell]] = field(default_factory=dict)
    kind: str = "percentage"  # or "count", "growth", "median" (TIM-01), "rate" (CON-02)
    keys: dict[str, int] | None = None

    def as_dict(self) -> Cell:
        data: Cell = {"id": self.id, "numerator": self.numerator}
        if self.kind == "median":
            data["value"] = self.value  # months; the numerator is the clients counted
        elif self.kind != "count":
            data["denominator"] = self.denominator
            data["value"] = self.value
        else:
            data["value"] = self.numerator
        if self.by:
            data["by"] = self.by
        if self.keys is not None:
            data[CELL_KEYS] = self.keys
        return data


def _ratio(
    indicator: str,
    rows: list[Row],
    counts: Callable[[Row], bool],
    base: Callable[[Row], bool] = lambda row: True,
    keyed: _Keys | None = None,
) -> Result:
    counted = [row for row in rows if base(row)]
    hits = [row for row in counted if counts(row)]
    numerator, denominator = len(hits), len(counted)
    result = Result(indicator, numerator, denominator, percentage(numerator, denominator))
    if keyed:
        result.keys = keyed.cell(numerator=keyed.of(hits), denominator=keyed.of(counted))
    for dimension in DISAGGREGATIONS:
        groups: dict[str, tuple[list[Row], list[Row]]] = defaultdict(lambda: ([], []))
        if keyed:
            for key in LISTED.get(dimension, ()):
                groups.setdefault(key, ([], []))  # a zero cell
        for row in counted:
            in_numerator, in_denominator = groups[key_of(row, dimension)]
            in_denominator.append(row)
            if counts(row):
                in_numerator.append(row)
        result.by[dimension] = []
        for key, (n, d) in sorted(groups.items()):
            cell = {"key": key, "numerator": len(n), "denominator": len(d)}
            cell["value"] = percentage(len(n), len(d))
            if keyed:
                cell[CELL_KEYS] = keyed.cell(
                    dimension, key, numerator=keyed.of(n), denominator=keyed.of(d)
                )
            result.by[dimension].append(cell)
    return result


def _count(
    indicator: str, rows: list[Row], counts: Callable[[Row], bool], keyed: _Keys | None = None
) -> Result:
    hits = [row for row in rows if counts(row)]
    result = Result(indicator, len(hits), kind="count")
    if keyed:
        result.keys = keyed.cell(numerator=keyed.of(hits))
    for dimension in DISAGGREGATIONS:
        groups: dict[str, list[Row]] = defaultdict(list)
        if keyed:
            for key in LISTED.get(dimension, ()):
                groups.setdefault(key, [])  # a zero cell
        for row in hits:
            groups[key_of(row, dimension)].append(row)
        result.by[dimension] = []
        for key, group in sorted(groups.items()):
            cell = {"key": key, "numerator": len(group), "value": len(group)}
            if keyed:
                cell[CELL_KEYS] = keyed.cell(dimension, key, numerator=keyed.of(group))
            result.by[dimension].append(cell)
    return result


def new_clients(rows: Iterable[Row], start: str, end: str) -> int:
    return sum(
        1 for row in rows if row["included"] == "true" and start <= row["inclusion_month"] <= end
    )


def compute(
    rows: Iterable[Row],
    start: str,
    end: str,
    baseline: tuple[str, str] | None = None,
    *,
    keys: RecordKeys | None = None,
    smallest_city: int = 0,
) -> list[Result]:
    """Every indicator of the catalogue for the period [start, end] (months); with `keys`, each
    count carries its cell's key (see the module's docstring). With `smallest_city`, a city
    with fewer rows than that is counted as `unknown` (`merge_small_cities`)."""
    rows = merge_small_cities(list(rows), smallest_city)
    keyed = _Keys(keys, rows) if keys is not None else None
    cohort = [row for row in rows if in_cohort(row, end)]
    results = [
        _count("BEN-01", cohort, lambda row: active_at(row, end), keyed),
        _count(
            "BEN-02",
            rows,
            lambda row: row["included"] == "true" and start <= row["inclusion_month"] <= end,
            keyed,
        ),
        _count("BEN-03", cohort, lambda row: True, keyed),
        _people(cohort, keyed),
        _ratio(
            "BEN-05",
            cohort,
            lambda row: row["detention_at_referral"] in ("in_detention", "released"),
            keyed=keyed,
        ),
        _ratio("BEN-06", cohort, lambda row: row["vulnerable"] == "false", keyed=keyed),
        _ratio(
            "ENG-01", cohort, lambda row: engagement_outcome(row, end) == "engaged", keyed=keyed
        ),
        _ratio(
            "ENG-02", cohort, lambda row: engagement_outcome(row, end) == "disengaged", keyed=keyed
        ),
        _ratio(
            "ENG-03", cohort, lambda row: engagement_outcome(row, end) == "removed", keyed=keyed
        ),
        _ratio("RES-01", cohort, _has_outcome, keyed=keyed),
        _outcome_types(cohort, keyed),
    ]
    for indicator, prefix in (("CAP-01", "idm"), ("CAP-02", "engage"), ("CAP-03", "wellbeing")):
        improved, eligible = _improved(prefix)
        results.append(_ratio(indicator, cohort, improved, eligible, keyed))
    results.append(_ratio("CAP-04", cohort, lambda row: int(row["assessments"]) >= 2, keyed=keyed))
    results.append(_contacts(cohort, keyed))
    results.append(_growth(rows, start, end, baseline, keyed))
    results.append(_growth(rows, start, end, baseline, keyed, "GRO-02", supported))
    results.append(time_in_programme(cohort, end, keyed))
    results.append(contact_frequency(cohort, end, keyed))
    results.append(caseload_per_case_manager(cohort, end, keyed))
    results.append(disengagement_factors(cohort, end, keyed))
    return results


def merge_small_cities(rows: list[Row], smallest: int) -> list[Row]:
    """The rows with every city that fewer than `smallest` rows name (over all the rows given,
    whatever the period) counted as `unknown`. At `network` and `public` level a city is a
    breakdown key only once it holds more rows than the level's threshold: a key appearing
    with one newcomer would name their city, and its cells would be theirs alone."""
    if smallest <= 1:
        return rows
    sizes: dict[str, int] = defaultdict(int)
    for row in rows:
        sizes[row["city"]] += 1
    return [
        {**row, "city": ""} if row["city"] and sizes[row["city"]] < smallest else row
        for row in rows
    ]


def _people(cohort: list[Row], keyed: _Keys | None) -> Result:
    """BEN-04: distinct non-empty person_ref, plus rows without one."""
    people = {row["person_ref"] for row in cohort if row["person_ref"]}
    anonymous = [row for row in cohort if not row["person_ref"]]
    result = Result("BEN-04", len(people) + len(anonymous), kind="count")
    if keyed:
        of_people = sum(keyed.keys.person(ref) for ref in sorted(people))
        result.keys = keyed.cell(numerator=of_people + keyed.of(anonymous))
    return result


def _outcome_types(cohort: list[Row], keyed: _Keys | None = None) -> Result:
    """RES-02: rows per outcome value, over rows with an outcome (the table of outcomes)."""
    with_outcome = [row for row in cohort if row["outcome"]]
    total = len(with_outcome)
    result = Result("RES-02", total, total, percentage(total, total))
    total_key = keyed.of(with_outcome) if keyed else 0
    if keyed:
        result.keys = keyed.cell(numerator=total_key, denominator=total_key)
    result.by["outcome"] = []
    for outcome in OUTCOME_TYPES:
        rows = [row for row in with_outcome if row["outcome"] == outcome]
        cell = {
            "key": outcome,
            "numerator": len(rows),
            "denominator": total,
            "value": percentage(len(rows), total),
        }
        if keyed:
            cell[CELL_KEYS] = keyed.cell(numerator=keyed.of(rows), denominator=total_key)
        result.by["outcome"].append(cell)
    return result


def _contacts(cohort: list[Row], keyed: _Keys | None = None) -> Result:
    """CON-01 counts contacts, not people: Σ face-to-face over Σ contacts."""
    in_person = sum(int(row["face_to_face_contacts"]) for row in cohort)
    total = sum(int(row["contacts"]) for row in cohort)
    result = Result("CON-01", in_person, total, percentage(in_person, total), kind="contacts")
    if keyed:
        result.keys = keyed.cell(
            numerator=keyed.of(row for row in cohort if int(row["face_to_face_contacts"])),
            denominator=keyed.of(row for row in cohort if int(row["contacts"])),
        )
    return result


def _growth(
    rows: list[Row],
    start: str,
    end: str,
    baseline: tuple[str, str] | None,
    keyed: _Keys | None = None,
    indicator: str = "GRO-01",
    select: Callable[[list[Row], str, str], list[Row]] | None = None,
) -> Result:
    """GRO-01 (new clients) or, with `select=supported`, GRO-02 (clients supported): the
    period's count minus the baseline's, over the baseline's."""
    if baseline is None:
        return Result(indicator, None, None, None, kind="growth")
    select = select or _new_client_rows
    current = select(rows, start, end)
    before = select(rows, *baseline)
    result = Result(
        indicator,
        len(current) - len(before),
        len(before),
        percentage(len(current) - len(before), len(before)),
        kind="growth",
    )
    if keyed:  # GRO-01: the current new clients are BEN-02's, the same rows and key
        result.keys = keyed.cell(current=keyed.of(current), denominator=keyed.of(before))
    return result


def supported(rows: Iterable[Row], start: str, end: str) -> list[Row]:
    """The clients supported in [start, end] (GRO-02's "total beneficiaries"): included by
    `end` and not closed before `start` (a client closed during the period, whatever the
    reason, was supported in it)."""
    return [
        row
        for row in rows
        if row["included"] == "true"
        and row["inclusion_month"] <= end
        and (not row["closure_month"] or row["closure_month"] >= start)
    ]


def _new_client_rows(rows: Iterable[Row], start: str, end: str) -> list[Row]:
    return [
        row for row in rows if row["included"] == "true" and start <= row["inclusion_month"] <= end
    ]


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


def keyed_caseload_by_month(
    rows: Iterable[Row], start: str, end: str, keys: RecordKeys
) -> list[tuple[str, int, int]]:
    """`caseload_by_month` with each month's cell key: (month, count, key)."""
    rows = list(rows)
    keyed = _Keys(keys, rows)
    result = []
    for month in months_between(start, end):
        active = [row for row in rows if in_cohort(row, month) and active_at(row, month)]
        result.append((month, len(active), keyed.population() + keyed.of(active)))
    return result


# Time in programme and contact frequency (issue 14, section 5).

# TIM-01's distribution: months in the programme, both ends included.
TIME_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("1-3", 1, 3),
    ("4-6", 4, 6),
    ("7-12", 7, 12),
    ("13-24", 13, 24),
    ("25+", 25, None),
)


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def months_in_programme(row: Row, end: str) -> int:
    """The months a cohort row was in the programme by `end`: from its inclusion month to its
    closure month (or `end` while it is active at `end`), both counted, so a client included
    and closed in the same month was in it 1 month."""
    last = end if active_at(row, end) else row["closure_month"]
    # Never under 1: a row closed before its inclusion month (which the dataset's rules refuse,
    # but hand-made or rolled-back rows may hold) counts as 1 month, not as none.
    return max(1, month_index(last) - month_index(row["inclusion_month"]) + 1)


def median(values: list[int]) -> float | None:
    """The median (the mean of the two middle values for an even count); none of nothing."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def time_band(months: int, bands: tuple[tuple[str, int, int | None], ...] = TIME_BANDS) -> str:
    return next(
        label for label, low, high in bands if months >= low and (high is None or months <= high)
    )


def time_in_programme(cohort: list[Row], end: str, keyed: _Keys | None = None) -> Result:
    """TIM-01: the median months in the programme of the cohort (numerator: the cohort, the
    same people and key as BEN-03), with the distribution by `TIME_BANDS` (every band listed,
    zeros included: a table whose cells add up to the cohort)."""
    months = [months_in_programme(row, end) for row in cohort]
    result = Result("TIM-01", len(cohort), None, median(months), kind="median")
    if keyed:
        result.keys = keyed.cell(numerator=keyed.of(cohort))
    result.by["months"] = []
    for label, _low, _high in TIME_BANDS:
        group = [row for row, m in zip(cohort, months, strict=True) if time_band(m) == label]
        cell = {"key": label, "numerator": len(group), "value": len(group)}
        if keyed:
            cell[CELL_KEYS] = keyed.cell(numerator=keyed.of(group))
        result.by["months"].append(cell)
    return result


def rate(numerator: int, denominator: int) -> float | None:
    """n / d rounded half up to one decimal; no value for a zero denominator."""
    if not denominator:
        return None
    value = Decimal(numerator) / Decimal(denominator)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def contact_frequency(cohort: list[Row], end: str, keyed: _Keys | None = None) -> Result:
    """CON-02: contacts per client per month, Σ `contacts` (CON-01's denominator, the same key)
    over the cohort's client-months (Σ `months_in_programme`). Contacts before inclusion count
    too, as in CON-01: the dataset counts them over the enrollment."""
    contacts = sum(int(row["contacts"]) for row in cohort)
    client_months = sum(months_in_programme(row, end) for row in cohort)
    result = Result("CON-02", contacts, client_months, rate(contacts, client_months), kind="rate")
    if keyed:
        result.keys = keyed.cell(
            numerator=keyed.of(row for row in cohort if int(row["contacts"])),
            denominator=keyed.of(cohort),
        )
    return result


# Caseload per case manager and disengagement factors (issue 14, section 5; dataset version 2).

# CAS-01's distribution: active clients per case manager at the period's end, both ends included.
CASELOAD_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("1-10", 1, 10),
    ("11-20", 11, 20),
    ("21-30", 21, 30),
    ("31-40", 31, 40),
    ("41+", 41, None),
)
# ENG-04's keys: the spec's factor codes (cases.DisengagementFactor), then the disengaged
# clients for whom none was recorded (a version 1 row, an active case disengaged at its latest
# review, a closure without factors).
DISENGAGEMENT_CODES = (
    "negative_decision", "fear", "trust", "basic_needs", "health", "moved", "family",
    "contact_lost", "other",
)  # fmt: skip
NOT_RECORDED = "not_recorded"


def caseload_per_case_manager(cohort: list[Row], end: str, keyed: _Keys | None = None) -> Result:
    """CAS-01: the median of the active clients per case manager at `end`. The cohort's rows
    active at `end` (BEN-01's) that name a `case_manager_ref` are grouped by pilot and ref (each
    pilot keys its refs with its own key); the numerator is the case managers so counted, the
    value the median of their caseloads, and `by["caseload"]` the case managers per band of
    `CASELOAD_BANDS` (every band listed). A ref is never an output: only how many there are."""
    caseloads: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in cohort:
        if active_at(row, end) and row.get("case_manager_ref"):
            caseloads[(row["pilot"], row["case_manager_ref"])].append(row)
    sizes = {manager: len(rows) for manager, rows in caseloads.items()}
    result = Result("CAS-01", len(caseloads), None, median(list(sizes.values())), kind="median")
    if keyed:
        result.keys = keyed.cell(numerator=keyed.of(r for rows in caseloads.values() for r in rows))
    result.by["caseload"] = []
    for label, _low, _high in CASELOAD_BANDS:
        managers = [m for m, size in sizes.items() if time_band(size, CASELOAD_BANDS) == label]
        cell = {"key": label, "numerator": len(managers), "value": len(managers)}
        if keyed:
            # A band's key is its case managers' clients': the band moves when one of them does.
            cell[CELL_KEYS] = keyed.cell(
                numerator=keyed.of(r for m in managers for r in caseloads[m])
            )
        result.by["caseload"].append(cell)
    return result


def disengagement_factors(cohort: list[Row], end: str, keyed: _Keys | None = None) -> Result:
    """ENG-04: the disengaged clients (ENG-02's numerator, the same rows and key) and, under
    `by["factor"]`, how many of them had each factor recorded (`disengagement_factors`,
    dataset version 2), then how many had none (`not_recorded`). A client may have several
    factors, so the factors add up to more than the clients."""
    disengaged = [row for row in cohort if engagement_outcome(row, end) == "disengaged"]
    factors = {id(row): set(filter(None, row.get("disengagement_factors", "").split(";")))
               for row in disengaged}  # fmt: skip
    result = Result("ENG-04", len(disengaged), kind="count")
    if keyed:
        result.keys = keyed.cell(numerator=keyed.of(disengaged))
    result.by["factor"] = []
    for code in (*DISENGAGEMENT_CODES, NOT_RECORDED):
        group = [
            row
            for row in disengaged
            if (code in factors[id(row)] if code != NOT_RECORDED else not factors[id(row)])
        ]
        cell = {"key": code, "numerator": len(group), "value": len(group)}
        if keyed:
            cell[CELL_KEYS] = keyed.cell(numerator=keyed.of(group))
        result.by["factor"].append(cell)
    return result
