"""The network's indicators, version 1 (shared/spec/indicators.md), computed from dataset rows.

One implementation of each indicator, for rows derived from live cases or imported alike.
Results are exact; disclosure control is applied afterwards, in one place (`disclosure.py`).
Given record keys (`disclosure.Perturbation`), each count also carries the key of its cell (the
sum of its rows' record keys and of its population's key) under CELL_KEYS, for the perturbation
of counts at `network` and `public` level; `disclosure.apply` removes it at every level.
"""

import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from engage.mel.dataset.stored import StoredRows, numbered, unique

Row = dict[str, str]
# An indicator as a report holds it, or one cell of its breakdowns: its numbers (as shown:
# an int, "<5", or None for withheld), value, breakdowns under "by", flags.
Cell = dict[str, Any]
CELL_KEYS = "_cell_keys"
# Which of a report's rows something holds for (`Table`), and each row's code in a breakdown.
Mask = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.intp]


class RecordKeys(Protocol):
    def record(self, row: Row) -> int: ...
    def records(self, rows: Iterable[Row]) -> list[int]: ...
    def person(self, person_ref: str) -> int: ...
    def populations(self, rows: Sequence[Row]) -> dict[str, int]: ...


class KeyedRows:
    """The record keys of one report's rows, and the population key of each cell: hashed once
    per report (`services.report` passes it to everything that keys a cell of those rows)."""

    def __init__(self, keys: RecordKeys, rows: Sequence[Row]):
        self.keys = keys
        self.rows = rows
        keyed = keys.records(rows)
        self.pilots = keys.populations(rows)
        self.overall = sum(self.pilots.values())
        self.column = np.array(keyed, dtype=np.int64)
        # The same keys as floats, for `bincount`'s sums (`_sums_by_code`): made once.
        self.weights = self.column.astype(np.float64)

    def population(self, dimension: str | None = None, key: str | None = None) -> int:
        """A breakdown by pilot or country is its own population; every other cell's is the
        report's, so a person added anywhere moves every cell they could have been in."""
        if dimension == "pilot":
            return self.pilots.get(key, 0) if key is not None else 0
        if dimension == "country":
            return sum(v for pilot, v in self.pilots.items() if pilot.split("-")[0] == key)
        return self.overall

    def of_all(self) -> int:
        return int(self.column.sum())

    def of_mask(self, mask: Mask) -> int:
        """The sum of the record keys of the rows `mask` selects (`Table`'s rows)."""
        return int(self.column[mask].sum())  # under 2**63 for any number of rows we hold

    def of_pilots(self, pilots: Iterable[str]) -> int:
        """The population key of the rows of `pilots`."""
        return sum(self.pilots.get(pilot, 0) for pilot in pilots)

    def cell(
        self,
        dimension: str | None = None,
        key: str | None = None,
        *,
        population: int | None = None,
        **sums: int,
    ) -> dict[str, int]:
        if population is None:
            population = self.population(dimension, key)
        return {name: total + population for name, total in sums.items()}


def keyed_rows(keys: "RecordKeys | KeyedRows | None", rows: Sequence[Row]) -> KeyedRows | None:
    """The keys of `rows`: `keys` itself when it already keys these very rows."""
    return None if keys is None else _keyed(keys, rows)


def _keyed(keys: "RecordKeys | KeyedRows", rows: Sequence[Row]) -> KeyedRows:
    if isinstance(keys, KeyedRows):
        if keys.rows is rows:
            return keys
        lists = isinstance(keys.rows, list) and isinstance(rows, list)
        if lists and len(keys.rows) == len(rows) and all(map(operator.is_, keys.rows, rows)):
            return keys
        keys = keys.keys
    return KeyedRows(keys, rows)


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


def keys_of(rows: list[Row], dimension: str) -> list[str]:
    """Each row's key in a breakdown, in their order. A suppressed city (empty, dataset version
    2) is counted as `unknown`, its own key, like the other suppressed values. Made for all the
    rows at once, not in a call per row (a report's eight breakdowns of 100,000 rows, issue 17)."""
    if dimension == "country":
        return [row["pilot"].split("-")[0] for row in rows]
    values = map(operator.itemgetter(dimension), rows)
    return [value or "unknown" for value in values] if dimension == "city" else list(values)


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


@dataclass(frozen=True)
class Rule:
    """A rule on a row (one of the definitions above) and the columns it reads. Rows alike in
    those columns are alike for the rule, so a table calls it once for each distinct set of
    values, not once for each of 100,000 rows (issue 17). It is given a row of those columns
    only: a rule that came to read another would fail (KeyError), not count wrongly."""

    holds: Callable[[Row], bool]
    reads: tuple[str, ...]


# What `in_cohort`, `active_at` and `engagement_outcome` read of a row.
COHORT_STATE = ("included", "inclusion_month", "closure_month", "closure_reason")
OUTCOME_STATE = ("closure_month", "closure_reason", "engagement_level")
# What `months_in_programme` reads.
MONTHS_STATE = ("inclusion_month", "closure_month")


def _improved(prefix: str) -> tuple[Rule, Rule]:
    baseline, latest = f"{prefix}_baseline", f"{prefix}_latest"  # named once, not per row

    def eligible(row: Row) -> bool:
        return row[baseline] != "" and row[latest] != "" and int(row["assessments"]) >= 2

    def improved(row: Row) -> bool:
        return eligible(row) and int(row[latest]) > int(row[baseline])

    reads = (baseline, latest, "assessments")
    return Rule(improved, reads), Rule(eligible, reads)


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


class Table:
    """The rows of one or more reports as columns, for the breakdowns: each row's key in every
    breakdown as a small integer (the keys sorted, so a code's order is its key's), and with
    record keys each row's key (`KeyedRows.column`). An indicator selects its rows with boolean
    masks, calling its rule (the row function above, its one definition) once per distinct set
    of the values it reads (`Rule`), and numpy counts the cells of all eight breakdowns from the
    masks in C. Before, every rule ran again for every breakdown and every cell was a Python list
    (issue 17: the report from 100,000 imported rows took 15.6 s, 33 times DuckDB on the same
    rows). Nothing of it depends on a report's period: a dashboard makes one for its period's
    report and its quarters' (`tabulate`)."""

    def __init__(self, rows: Sequence[Row], keyed: KeyedRows | None):
        self.rows = rows
        self.size = len(rows)
        self.keyed = keyed
        self.every = np.ones(self.size, dtype=bool)
        self._made: dict[tuple[str, ...], tuple[list[Any], Codes]] = {}
        self._columns: dict[str, tuple[list[str], Codes]] = {}
        self.labels: dict[str, list[str]] = {}
        self.codes: dict[str, Codes] = {}
        for dimension in DISAGGREGATIONS:
            # Each distinct value of the column keyed once (`keys_of`, the one definition).
            column = "pilot" if dimension == "country" else dimension
            distinct, numbers = self.values_of(column)
            keys = keys_of([{column: value} for value in distinct], dimension)
            labels = sorted(set(keys) | set(LISTED.get(dimension, ())))
            position = {label: number for number, label in enumerate(labels)}
            self.labels[dimension] = labels
            self.codes[dimension] = np.array([position[key] for key in keys], np.intp)[numbers]

    def mask(self, rule: Rule, within: Mask) -> Mask:
        """The rows of `within` for which `rule` holds; `rule` is called once for each distinct
        set of the values it reads among those rows."""
        answers, codes = self._answers(rule.holds, rule.reads, within)
        holds = np.fromiter(map(bool, answers), dtype=bool, count=len(answers))  # any truth value
        return holds[codes] & within

    def each(
        self, function: Callable[[Row], Any], reads: tuple[str, ...], within: Mask
    ) -> list[Any]:
        """`function` of each row of `within`, in their order, called as a rule is (`mask`)."""
        answers, codes = self._answers(function, reads, within)
        return list(map(answers.__getitem__, codes[within].tolist()))

    def _answers(
        self, function: Callable[[Row], Any], reads: tuple[str, ...], within: Mask
    ) -> tuple[list[Any], Codes]:
        """`function` of each distinct set of the values of `reads` that a row of `within`
        holds (None for the others), and each row's number among those sets."""
        states, codes = self.states_of(reads)
        answers: list[Any] = [None] * len(states)
        present = np.bincount(codes[within], minlength=len(states)) > 0
        for number in np.flatnonzero(present).tolist():
            state = states[number]
            if len(reads) == 1:
                answers[number] = function({reads[0]: state})
            else:
                answers[number] = function(dict(zip(reads, state, strict=True)))
        return answers, codes

    def states_of(self, reads: tuple[str, ...]) -> tuple[list[Any], Codes]:
        """The distinct sets of values of the columns `reads` (a tuple each, or the bare value
        of one column), and each row's number among them: made once per table for all its
        reports, from each column's numbers (`values_of`), which the sets of columns share."""
        if reads not in self._made:
            if len(reads) == 1:
                self._made[reads] = self.values_of(reads[0])
            else:
                combined = np.zeros(self.size, dtype=np.int64)
                for name in reads:
                    values, codes = self.values_of(name)
                    combined = combined * len(values) + codes
                    if len(values) and combined.max(initial=0) >= 2**31:  # far from overflowing
                        combined = unique(combined)[2].astype(np.int64)
                _sets, first, numbers = unique(combined)
                # Each set's values, read from the columns' numbers at the set's first row.
                taken = []
                for name in reads:
                    values, codes = self.values_of(name)
                    taken.append(np.array(values or [""], dtype=object)[codes[first]].tolist())
                states = list(zip(*taken, strict=True))
                self._made[reads] = (states, numbers)
        return self._made[reads]

    def values_of(self, name: str) -> tuple[list[str], Codes]:
        """A column's distinct values, and each row's number among them (rows kept column by
        column, `StoredRows`, have them already)."""
        if name not in self._columns:
            if isinstance(self.rows, StoredRows):
                self._columns[name] = self.rows.column(name)
            else:
                self._columns[name] = numbered(list(map(operator.itemgetter(name), self.rows)))
        return self._columns[name]

    def breakdowns(self, numerator: Mask, denominator: Mask | None) -> dict[str, list[Cell]]:
        """`cells` of every disaggregation of one indicator. The record keys of each mask's
        rows are taken once for all of them: taken again for each, they were a tenth of a
        report of 100,000 rows (issue 17)."""
        weights = self._masked_keys(numerator, denominator)
        return {
            dimension: self.cells(dimension, numerator, denominator, weights)
            for dimension in DISAGGREGATIONS
        }

    def _masked_keys(
        self, numerator: Mask, denominator: Mask | None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
        """The record keys, as floats, of the numerator's rows and of the denominator's (the
        numerator's again for a count); None without record keys."""
        if not self.keyed:
            return None
        column = self.keyed.weights
        hits = column[numerator]
        return hits, hits if denominator is None else column[denominator]

    def cells(
        self,
        dimension: str,
        numerator: Mask,
        denominator: Mask | None,
        weights: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
    ) -> list[Cell]:
        """The breakdown's cells, in key order: every key that has a row in the denominator (the
        numerator for a count), and with record keys every key of `LISTED` even when empty.
        `weights`: the record keys of the numerator's rows and of the denominator's, as floats
        (`breakdowns`), taken here when not given."""
        codes, labels = self.codes[dimension], self.labels[dimension]
        hit_codes = codes[numerator]
        counted_codes = hit_codes if denominator is None else codes[denominator]
        hits = np.bincount(hit_codes, minlength=len(labels))
        sizes = hits if denominator is None else np.bincount(counted_codes, minlength=len(labels))
        keyed = self.keyed
        if keyed:
            listed = LISTED.get(dimension, ())
            if weights is None:
                weights = self._masked_keys(numerator, denominator)
                assert weights is not None  # noqa: S101 (keyed, so the keys are there)
            hit_keys = _sums_by_code(hit_codes, weights[0], len(labels))
            size_keys = (
                hit_keys
                if denominator is None
                else _sums_by_code(counted_codes, weights[1], len(labels))
            )
            # A city's people are its pilots' (a city is a pilot's): its cell is drawn from
            # their population, as a pilot's is, not the report's. Drawn from the report's
            # population, the same people were drawn afresh for each set of other pilots a
            # report took, and the commonest of those draws was the true count (two such
            # months subtracted gave a newcomer's outcome; docs/security.md).
            populations = (
                self._pilots_populations(codes, numerator if denominator is None else denominator)
                if dimension == "city"
                else None
            )
        result = []
        for number, key in enumerate(labels):
            size = int(sizes[number])
            if not size and not (keyed and key in listed):
                continue
            n = int(hits[number])
            cell: Cell = {"key": key, "numerator": n}
            if denominator is None:
                cell["value"] = n
            else:
                cell["denominator"] = size
                cell["value"] = percentage(n, size)
            if keyed:
                sums = {"numerator": int(hit_keys[number])}
                if denominator is not None:
                    sums["denominator"] = int(size_keys[number])
                population = None if populations is None else populations.get(number, 0)
                cell[CELL_KEYS] = keyed.cell(dimension, key, population=population, **sums)
            result.append(cell)
        return result

    def _pilots_populations(self, codes: Codes, counted: Mask) -> dict[int, int]:
        """For each code of a breakdown, the population key of the pilots of its `counted`
        rows."""
        assert self.keyed is not None  # noqa: S101 (called with record keys only)
        pilots = self.labels["pilot"]
        pairs = np.unique(
            codes[counted].astype(np.int64) * len(pilots) + self.codes["pilot"][counted]
        )
        found: dict[int, set[str]] = defaultdict(set)
        for pair in pairs.tolist():
            found[pair // len(pilots)].add(pilots[pair % len(pilots)])
        return {code: self.keyed.of_pilots(present) for code, present in found.items()}


def _key_sums(keyed: KeyedRows, codes: Codes, mask: Mask, length: int) -> npt.NDArray[np.int64]:
    """Per code, the sum of the record keys of the rows of `mask`, exactly."""
    return _sums_by_code(codes[mask], keyed.weights[mask], length)


def _sums_by_code(
    codes: Codes, weights: npt.NDArray[np.float64], length: int
) -> npt.NDArray[np.int64]:
    """Per code, the sum of the `weights` (record keys as floats, `KeyedRows.weights`) of the
    rows with that code, exactly: summed as floats (`bincount`, ten times `np.add.at`'s speed),
    whose integers are exact below 2**53, far above any sum of keys under 2**32 of the rows we
    hold."""
    if len(weights) >= 2**21:
        raise ValueError("too many rows for the keys' sums to be exact as floats")
    sums = np.bincount(codes, weights=weights, minlength=length)
    return sums.astype(np.int64)


def _ratio(
    indicator: str,
    table: Table,
    within: Mask,
    counts: Rule,
    base: Rule | None = None,
) -> Result:
    """The share of the rows of `within` (that `base` admits) for which `counts` holds."""
    counted = within if base is None else table.mask(base, within)
    hits = table.mask(counts, counted)
    numerator, denominator = int(hits.sum()), int(counted.sum())
    result = Result(indicator, numerator, denominator, percentage(numerator, denominator))
    if table.keyed:
        keyed = table.keyed
        result.keys = keyed.cell(numerator=keyed.of_mask(hits), denominator=keyed.of_mask(counted))
    result.by.update(table.breakdowns(hits, counted))
    return result


def _count(indicator: str, table: Table, within: Mask, counts: Rule | None) -> Result:
    """The rows of `within` for which `counts` holds (all of them without a rule)."""
    hits = within if counts is None else table.mask(counts, within)
    result = Result(indicator, int(hits.sum()), kind="count")
    if table.keyed:
        result.keys = table.keyed.cell(numerator=table.keyed.of_mask(hits))
    result.by.update(table.breakdowns(hits, None))
    return result


def compute(
    rows: Iterable[Row],
    start: str,
    end: str,
    baseline: tuple[str, str] | None = None,
    *,
    keys: "RecordKeys | KeyedRows | None" = None,
    smallest_city: int = 0,
) -> list[Result]:
    """Every indicator of the catalogue for the period [start, end] (months); with `keys`, each
    count carries its cell's key (see the module's docstring). With `smallest_city`, a city
    with fewer rows than that is counted as `unknown` (`merge_small_cities`)."""
    return compute_from(tabulate(rows, keys=keys, smallest_city=smallest_city), start, end,
                        baseline)  # fmt: skip


def tabulate(
    rows: Iterable[Row], *, keys: "RecordKeys | KeyedRows | None" = None, smallest_city: int = 0
) -> Table:
    """The rows as a `Table`, for any number of reports of them (`compute_from`)."""
    given = rows if isinstance(rows, StoredRows) else list(rows)
    merged = merge_small_cities(given, smallest_city)
    return Table(merged, keyed_rows(keys, merged))


def _cohort_rule(end: str) -> Rule:
    return Rule(lambda row: in_cohort(row, end), COHORT_STATE)


def _outcome_is(outcome: str, end: str) -> Rule:
    return Rule(lambda row: engagement_outcome(row, end) == outcome, OUTCOME_STATE)


def _active_and_new(table: Table, cohort: Mask, start: str, end: str) -> list[Result]:
    """BEN-01 (the cohort's rows active at `end`) and BEN-02 (the period's new clients)."""
    return [
        _count("BEN-01", table, cohort, Rule(lambda row: active_at(row, end), ("closure_month",))),
        _count("BEN-02", table, table.every, new_client(start, end)),
    ]


def active_and_new(table: Table, start: str, end: str) -> list[Result]:
    """BEN-01 and BEN-02 alone, as `compute_from` gives them, with every breakdown (their
    disclosure control reads their own cells only): a dashboard's quarters."""
    return _active_and_new(table, table.mask(_cohort_rule(end), table.every), start, end)


def compute_from(
    table: Table, start: str, end: str, baseline: tuple[str, str] | None = None
) -> list[Result]:
    """`compute` of a table's rows."""
    in_the_cohort = table.mask(_cohort_rule(end), table.every)
    results = [
        *_active_and_new(table, in_the_cohort, start, end),
        _count("BEN-03", table, in_the_cohort, None),
        _people(table, in_the_cohort),
        _ratio(
            "BEN-05",
            table,
            in_the_cohort,
            Rule(
                lambda row: row["detention_at_referral"] in ("in_detention", "released"),
                ("detention_at_referral",),
            ),
        ),
        _ratio(
            "BEN-06",
            table,
            in_the_cohort,
            Rule(lambda row: row["vulnerable"] == "false", ("vulnerable",)),
        ),
        _ratio("ENG-01", table, in_the_cohort, _outcome_is("engaged", end)),
        _ratio("ENG-02", table, in_the_cohort, _outcome_is("disengaged", end)),
        _ratio("ENG-03", table, in_the_cohort, _outcome_is("removed", end)),
        _ratio("RES-01", table, in_the_cohort, Rule(_has_outcome, ("outcome",))),
        _outcome_types(table, in_the_cohort),
    ]
    for indicator, prefix in (("CAP-01", "idm"), ("CAP-02", "engage"), ("CAP-03", "wellbeing")):
        improved, eligible = _improved(prefix)
        results.append(_ratio(indicator, table, in_the_cohort, improved, eligible))
    results.append(
        _ratio(
            "CAP-04",
            table,
            in_the_cohort,
            Rule(lambda row: int(row["assessments"]) >= 2, ("assessments",)),
        )
    )
    results.append(_contacts(table, in_the_cohort))
    results.append(_growth(table, start, end, baseline))
    results.append(_growth(table, start, end, baseline, "GRO-02", supported))
    months = _months(table, in_the_cohort, end)  # TIM-01's and CON-02's
    results.append(_time_in_programme(table, in_the_cohort, end, months))
    results.append(_contact_frequency(table, in_the_cohort, end, months))
    results.append(_caseload_per_case_manager(table, in_the_cohort, end))
    results.append(_disengagement_factors(table, in_the_cohort, end))
    return results


def merge_small_cities(rows: Sequence[Row], smallest: int) -> Sequence[Row]:
    """The rows with every city that fewer than `smallest` rows name (over all the rows given,
    whatever the period) counted as `unknown`. At `network` and `public` level a city is a
    breakdown key only once it holds more rows than the level's threshold: a key appearing
    with one newcomer would name their city, and its cells would be theirs alone."""
    if smallest <= 1:
        return rows
    if isinstance(rows, StoredRows):
        cities, codes = rows.column("city")
        sizes = np.bincount(codes, minlength=len(cities)).tolist()
        small = {city for city, size in zip(cities, sizes, strict=True) if city and size < smallest}
        return rows.set(rows.where("city", small.__contains__), city="")
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["city"]] += 1
    return [
        {**row, "city": ""} if row["city"] and counts[row["city"]] < smallest else row
        for row in rows
    ]


def _people(table: Table, cohort: Mask) -> Result:
    """BEN-04: distinct non-empty person_ref, plus rows without one."""
    refs, codes = table.values_of("person_ref")
    present = np.bincount(codes[cohort], minlength=len(refs)) > 0
    people = [refs[number] for number in np.flatnonzero(present).tolist() if refs[number]]
    anonymous = cohort & (codes == refs.index("")) if "" in refs else np.zeros_like(cohort)
    result = Result("BEN-04", len(people) + int(anonymous.sum()), kind="count")
    if keyed := table.keyed:
        of_people = sum(keyed.keys.person(ref) for ref in sorted(people))
        result.keys = keyed.cell(numerator=of_people + keyed.of_mask(anonymous))
    return result


def _outcome_types(table: Table, cohort: Mask) -> Result:
    """RES-02: rows per outcome value, over rows with an outcome (the table of outcomes)."""
    with_outcome = table.mask(Rule(_has_outcome, ("outcome",)), cohort)
    total = int(with_outcome.sum())
    result = Result("RES-02", total, total, percentage(total, total))
    keyed = table.keyed
    total_key = keyed.of_mask(with_outcome) if keyed else 0
    if keyed:
        result.keys = keyed.cell(numerator=total_key, denominator=total_key)
    result.by["outcome"] = []
    for outcome in OUTCOME_TYPES:
        rows = table.mask(_outcome_of(outcome), with_outcome)
        count = int(rows.sum())
        cell = {
            "key": outcome,
            "numerator": count,
            "denominator": total,
            "value": percentage(count, total),
        }
        if keyed:
            cell[CELL_KEYS] = keyed.cell(numerator=keyed.of_mask(rows), denominator=total_key)
        result.by["outcome"].append(cell)
    return result


def _outcome_of(outcome: str) -> Rule:
    return Rule(lambda row: row["outcome"] == outcome, ("outcome",))


@dataclass(frozen=True)
class _Summed:
    """A count column of the dataset summed over the cohort, and the key of the cohort's rows
    where it is not 0 (0 without record keys)."""

    total: int
    key: int


def _summed(table: Table, column: str, cohort: Mask) -> _Summed:
    """`column` (a count: `contacts`, `face_to_face_contacts`) over the cohort, each distinct
    value read as a number once."""
    total = sum(table.each(lambda row: int(row[column]), (column,), cohort))
    if table.keyed is None:
        return _Summed(total, 0)
    counted = table.mask(Rule(lambda row: int(row[column]) != 0, (column,)), cohort)
    return _Summed(total, table.keyed.of_mask(counted))


def _contacts(table: Table, cohort: Mask) -> Result:
    """CON-01 counts contacts, not people: Σ face-to-face over Σ contacts."""
    in_person, every = (
        _summed(table, "face_to_face_contacts", cohort),
        _summed(table, "contacts", cohort),
    )
    result = Result(
        "CON-01", in_person.total, every.total, percentage(in_person.total, every.total),
        kind="contacts",
    )  # fmt: skip
    if keyed := table.keyed:
        result.keys = keyed.cell(numerator=in_person.key, denominator=every.key)
    return result


def _growth(
    table: Table,
    start: str,
    end: str,
    baseline: tuple[str, str] | None,
    indicator: str = "GRO-01",
    counted: "Callable[[str, str], Rule] | None" = None,
) -> Result:
    """GRO-01 (new clients) or, with `counted=supported`, GRO-02 (clients supported): the
    period's count minus the baseline's, over the baseline's."""
    if baseline is None:
        return Result(indicator, None, None, None, kind="growth")
    counted = counted or new_client
    current = table.mask(counted(start, end), table.every)
    before = table.mask(counted(*baseline), table.every)
    now, then = int(current.sum()), int(before.sum())
    result = Result(indicator, now - then, then, percentage(now - then, then), kind="growth")
    if keyed := table.keyed:  # GRO-01: the current new clients are BEN-02's, the same key
        result.keys = keyed.cell(current=keyed.of_mask(current), denominator=keyed.of_mask(before))
    return result


def new_client(start: str, end: str) -> Rule:
    """A client included in [start, end] (BEN-02, GRO-01)."""
    return Rule(
        lambda row: row["included"] == "true" and start <= row["inclusion_month"] <= end,
        ("included", "inclusion_month"),
    )


def supported(start: str, end: str) -> Rule:
    """A client supported in [start, end] (GRO-02's "total beneficiaries"): included by `end`
    and not closed before `start` (a client closed during the period, whatever the reason, was
    supported in it)."""
    return Rule(
        lambda row: (
            row["included"] == "true"
            and row["inclusion_month"] <= end
            and (not row["closure_month"] or row["closure_month"] >= start)
        ),
        ("included", "inclusion_month", "closure_month"),
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


def caseload_by_month(table: Table, start: str, end: str) -> list[tuple[str, int, int | None]]:
    """BEN-01 as of the end of each month of the period: the caseload over time, as (month,
    count, cell key; None without record keys).

    The same rule as BEN-01, taken at each month in turn (the cohort of that month, active at
    it), so the last point is the period's BEN-01. The rules run once per month and distinct
    set of the values they read (`COHORT_STATE`), as a `Rule` does."""
    states, codes = table.states_of(COHORT_STATE)
    sizes = np.bincount(codes, minlength=len(states))
    keyed = table.keyed
    if keyed is not None:
        keys = _key_sums(keyed, codes, table.every, len(states))
    as_rows = [dict(zip(COHORT_STATE, state, strict=True)) for state in states]
    result: list[tuple[str, int, int | None]] = []
    for month in months_between(start, end):
        counted = np.fromiter(
            (in_cohort(row, month) and active_at(row, month) for row in as_rows),
            dtype=bool, count=len(as_rows),
        )  # fmt: skip
        key = None if keyed is None else keyed.population() + int(keys[counted].sum())
        result.append((month, int(sizes[counted].sum()), key))
    return result


def cohort_size(table: Table, end: str) -> int:
    """The rows of the cohort at `end` (BEN-03's true count)."""
    return int(table.mask(_cohort_rule(end), table.every).sum())


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


def time_in_programme(cohort: list[Row], end: str) -> Result:
    """TIM-01: the median months in the programme of the cohort (numerator: the cohort, the
    same people and key as BEN-03), with the distribution by `TIME_BANDS` (every band listed,
    zeros included: a table whose cells add up to the cohort). (Without record keys; a report's
    has them: `compute`.)"""
    return _of_cohort(_time_in_programme, cohort, end)


def _time_in_programme(
    table: Table, cohort: Mask, end: str, months: list[int] | None = None
) -> Result:
    """`time_in_programme` of the cohort's rows of `table`; `months`: each one's
    `months_in_programme`, when already known."""
    months = _months(table, cohort, end) if months is None else months
    result = Result("TIM-01", int(cohort.sum()), None, median(months), kind="median")
    keyed = table.keyed
    if keyed:
        result.keys = keyed.cell(numerator=keyed.of_mask(cohort))
    result.by["months"] = []
    for label, _low, _high in TIME_BANDS:
        band = table.mask(_in_band(label, end), cohort)
        count = int(band.sum())
        cell = {"key": label, "numerator": count, "value": count}
        if keyed:
            cell[CELL_KEYS] = keyed.cell(numerator=keyed.of_mask(band))
        result.by["months"].append(cell)
    return result


def _of_cohort(
    indicator: Callable[[Table, Mask, str], Result], cohort: list[Row], end: str
) -> Result:
    """An indicator of a table's cohort computed on a bare list of cohort rows, without record
    keys (the public forms, which the hand-computed tests call)."""
    table = Table(cohort, None)
    return indicator(table, table.every, end)


def _months(table: Table, cohort: Mask, end: str) -> list[int]:
    """Each cohort row's `months_in_programme`, in order, worked out once per distinct pair of
    inclusion and closure months."""
    return table.each(lambda row: months_in_programme(row, end), MONTHS_STATE, cohort)


def _in_band(label: str, end: str) -> Rule:
    return Rule(lambda row: time_band(months_in_programme(row, end)) == label, MONTHS_STATE)


def rate(numerator: int, denominator: int) -> float | None:
    """n / d rounded half up to one decimal; no value for a zero denominator."""
    if not denominator:
        return None
    value = Decimal(numerator) / Decimal(denominator)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def contact_frequency(cohort: list[Row], end: str) -> Result:
    """CON-02: contacts per client per month, Σ `contacts` (CON-01's denominator, the same key)
    over the cohort's client-months (Σ `months_in_programme`). Contacts before inclusion count
    too, as in CON-01: the dataset counts them over the enrollment. (Without record keys; a
    report's has them: `compute`.)"""
    return _of_cohort(_contact_frequency, cohort, end)


def _contact_frequency(
    table: Table, cohort: Mask, end: str, months: list[int] | None = None
) -> Result:
    """`contact_frequency` of the cohort's rows of `table`; `months`: each one's
    `months_in_programme`, when already known."""
    contacts = _summed(table, "contacts", cohort)
    client_months = sum(_months(table, cohort, end) if months is None else months)
    result = Result(
        "CON-02", contacts.total, client_months, rate(contacts.total, client_months), kind="rate"
    )
    if keyed := table.keyed:
        result.keys = keyed.cell(numerator=contacts.key, denominator=keyed.of_mask(cohort))
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


def caseload_per_case_manager(cohort: list[Row], end: str) -> Result:
    """CAS-01: the median of the active clients per case manager at `end`. The cohort's rows
    active at `end` (BEN-01's) that name a `case_manager_ref` are grouped by pilot and ref (each
    pilot keys its refs with its own key); the numerator is the case managers so counted, the
    value the median of their caseloads, and `by["caseload"]` the case managers per band of
    `CASELOAD_BANDS` (every band listed). A ref is never an output: only how many there are.
    (Without record keys; a report's has them: `compute`.)"""
    return _of_cohort(_caseload_per_case_manager, cohort, end)


def _caseload_per_case_manager(table: Table, cohort: Mask, end: str) -> Result:
    """`caseload_per_case_manager` of the cohort's rows of `table`."""
    named = Rule(lambda row: active_at(row, end) and bool(row["case_manager_ref"]),
                 ("closure_month", "case_manager_ref"))  # fmt: skip
    active = table.mask(named, cohort)
    pairs, codes = table.states_of(("pilot", "case_manager_ref"))  # each case manager
    sizes = np.bincount(codes[active], minlength=len(pairs))
    counted = np.flatnonzero(sizes)  # the case managers with an active client
    caseloads = sizes[counted].tolist()
    result = Result("CAS-01", len(caseloads), None, median(caseloads), kind="median")
    keyed = table.keyed
    if keyed:
        result.keys = keyed.cell(numerator=keyed.of_mask(active))
        keys = _key_sums(keyed, codes, active, len(pairs))  # each case manager's clients'
    bands = [time_band(size, CASELOAD_BANDS) for size in caseloads]
    result.by["caseload"] = []
    for label, _low, _high in CASELOAD_BANDS:
        managers = counted[[band == label for band in bands]] if bands else counted
        cell = {"key": label, "numerator": len(managers), "value": len(managers)}
        if keyed:
            # A band's key is its case managers' clients': the band moves when one of them does.
            cell[CELL_KEYS] = keyed.cell(numerator=int(keys[managers].sum()))
        result.by["caseload"].append(cell)
    return result


def _disengagement_factors(table: Table, cohort: Mask, end: str) -> Result:
    """ENG-04: the disengaged clients (ENG-02's numerator, the same rows and key) and, under
    `by["factor"]`, how many of them had each factor recorded (`disengagement_factors`,
    dataset version 2), then how many had none (`not_recorded`). A client may have several
    factors, so the factors add up to more than the clients."""
    disengaged = table.mask(_outcome_is("disengaged", end), cohort)
    result = Result("ENG-04", int(disengaged.sum()), kind="count")
    keyed = table.keyed
    if keyed:
        result.keys = keyed.cell(numerator=keyed.of_mask(disengaged))
    result.by["factor"] = []
    for code in (*DISENGAGEMENT_CODES, NOT_RECORDED):
        group = table.mask(_with_factor(code), disengaged)
        count = int(group.sum())
        cell = {"key": code, "numerator": count, "value": count}
        if keyed:
            cell[CELL_KEYS] = keyed.cell(numerator=keyed.of_mask(group))
        result.by["factor"].append(cell)
    return result


def _with_factor(code: str) -> Rule:
    """A row with the factor `code` recorded (`NOT_RECORDED`: with none)."""

    def holds(row: Row) -> bool:
        factors = set(filter(None, row["disengagement_factors"].split(";")))
        return code in factors if code != NOT_RECORDED else not factors

    return Rule(holds, ("disengagement_factors",))
