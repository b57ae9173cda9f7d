"""Disclosure control (shared/spec/indicators.md), applied in one place before any rendering.

A count about people in 1..threshold is shown as "<5" (or "<10"); a percentage is withheld when
its denominator is under the minimum, or its numerator or the rest of its denominator is in
1..threshold (and then the numerator, which would give the rest away, is withheld too).

Secondary suppression works on *tables*: a set of shown cells that add up to a total. Each
breakdown of an indicator is a table (numerators, and denominators, add up to the indicator's);
so are the outcomes of RES-02 and the three engagement outcomes (ENG-01..03 add up to the cohort,
overall and within each breakdown key). The same quantity shown in several places (the cohort,
per key, is BEN-03's count and the denominator of most ratios) is hidden everywhere or nowhere.
The rules run until nothing changes:

- a table with a shown total must not let a reader pin down any hidden cell exactly (one hidden
  cell is always pinned; two cells shown as "<5" that add up to 2 are too): the next smallest
  shown cell is withheld until none is;
- a table with a hidden total must not show every cell (their sum would give it back);
- a percentage whose numerator or denominator is hidden is withheld.

Before all that, at `network` and `public` level, every count about people is *perturbed* with
the cell-key method (the Australian Bureau of Statistics' TableBuilder, the UK's 2021 census), so
that two reports of adjacent periods cannot be subtracted to give one person's attributes away:
see `Perturbation` below and docs/indicators.md. Cells computed without record keys (the
network's NET-* counts) are masked and suppressed, not perturbed. `exact` stays exact.
"""

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engage.mel.dataset.keys import RowKeys
from engage.mel.dataset.stored import StoredRows
from engage.mel.report.indicators import CELL_KEYS, MEDIANS, Cell, percentage, rate

WITHHELD = None


@dataclass(frozen=True)
class Level:
    name: str
    threshold: int
    minimum_denominator: int

    @property
    def small(self) -> str:
        return f"<{self.threshold + 1}"


LEVELS = {
    "exact": Level("exact", 0, 1),
    "network": Level("network", 4, 10),
    "public": Level("public", 9, 20),
}
ENGAGEMENT = ("ENG-01", "ENG-02", "ENG-03")
# Indicators whose top value is not a count or a percentage: TIM-01's is a median of months
# (its numerator the clients counted), CON-02's a rate of contacts per client-month.
GROWTH = ("GRO-01", "GRO-02")  # a difference of two counts of people, over the second
MEDIAN = "TIM-01"
CASELOAD = "CAS-01"  # the median of the case managers' caseloads; its numerator: case managers
FACTORS = "ENG-04"  # the disengaged clients (ENG-02's numerator) and their recorded factors
RATE = "CON-02"
MONTHS_NOISE = 24  # CON-02's client-months move by up to two years of one client's time
# Ratios over the whole cohort: their denominators are the cohort (BEN-03), per key too.
OVER_COHORT = ("BEN-05", "BEN-06", *ENGAGEMENT, "RES-01", "CAP-04")

Ref = tuple[Cell, str]  # a cell and the name of one of its numbers


def _is_hidden(value: object) -> bool:
    return value is None or isinstance(value, str)


def _hide(cell: Cell, *names: str) -> bool:
    changed = False
    for name in names:
        if name in cell and cell[name] is not None:
            cell[name] = WITHHELD
            changed = True
    cell["withheld"] = True
    return changed


def _mask_count(cell: Cell, name: str, level: Level) -> None:
    value = cell.get(name)
    if isinstance(value, int) and 1 <= value <= level.threshold:
        cell[name] = level.small


def _protect_ratio(cell: Cell, level: Level) -> None:
    """One numerator/denominator/value cell, on its own."""
    n, d = cell.get("numerator"), cell.get("denominator")
    if not isinstance(n, int) or not isinstance(d, int):
        return
    rest = d - n
    small = level.threshold
    _mask_count(cell, "numerator", level)
    _mask_count(cell, "denominator", level)
    if d and (d < level.minimum_denominator or 1 <= n <= small or 1 <= rest <= small):
        _hide(cell, "value")
        if 1 <= rest <= small and isinstance(cell["denominator"], int):
            _hide(cell, "numerator")  # with the denominator shown, it would give the rest away


def _protect_count(cell: Cell, level: Level) -> None:
    _mask_count(cell, "numerator", level)


def shown_count(count: int, level_name: str) -> int | str:
    """A count of people as it may be shown at `level_name`."""
    level = LEVELS[level_name]
    return level.small if 1 <= count <= level.threshold else count


def apply(indicators: list[Cell], level_name: str) -> list[Cell]:
    """Return a copy of the indicators as they may be shown at `level_name`: perturbed (cells
    that carry record keys), then masked and suppressed."""
    level = LEVELS[level_name]
    result = perturb(indicators, level_name)
    if level.name == "exact":
        return result
    by_id = {indicator["id"]: indicator for indicator in result}
    growths = [(by_id[i], _true_new_clients(by_id[i])) for i in GROWTH if i in by_id]
    for indicator in result:
        if indicator["id"] in (*GROWTH, RATE):
            continue
        protect = _protect_ratio if "denominator" in indicator else _protect_count
        for cell in _cells_of(indicator):
            protect(cell, level)
    tables = list(_tables(by_id))
    aliases = list(_aliases(by_id))
    changed = True
    while changed:
        changed = False
        for group in aliases:
            changed |= _unify(group)
        for total, cells in tables:
            changed |= _suppress(total, cells, level)
    for indicator in result:
        for cell in _cells_of(indicator):
            if "denominator" in indicator:
                hidden = _is_hidden(cell.get("numerator")) or _is_hidden(cell.get("denominator"))
                if hidden and cell.get("value") is not None:
                    _hide(cell, "value")
            elif "value" in cell and not (indicator["id"] in MEDIANS and cell is indicator):
                cell["value"] = cell["numerator"]
    for growth, current in growths:
        _protect_growth(growth, current, level)
    cohort = by_id["BEN-03"]["numerator"] if "BEN-03" in by_id else None
    if MEDIAN in by_id:
        _protect_median(by_id[MEDIAN], level)
    if CASELOAD in by_id:
        true_managers = next(i["numerator"] for i in indicators if i["id"] == CASELOAD)
        _protect_caseload(by_id[CASELOAD], true_managers, level)
    if RATE in by_id:
        _protect_rate(by_id[RATE], cohort, level)
    return result


def _protect_median(indicator: Cell, level: Level) -> None:
    """TIM-01's median months: shown only over at least the level's minimum of clients as shown
    (the cohort: one person's months are not a median of few)."""
    clients = indicator.get("numerator")
    small = not isinstance(clients, int) or clients < level.minimum_denominator
    if small and indicator.get("value") is not None:
        _hide(indicator, "value")


def _protect_caseload(indicator: Cell, managers: int, level: Level) -> None:
    """CAS-01's median caseload: shown only over more case managers than the level's threshold
    (5 at `network`, 10 at `public`), counted truly and as shown. The median of three caseloads
    is the middle one's: over few case managers it would be one person's figure."""
    shown_managers = indicator.get("numerator")
    few = not isinstance(shown_managers, int) or min(managers, shown_managers) <= level.threshold
    if few and indicator.get("value") is not None:
        _hide(indicator, "value")


def _protect_rate(indicator: Cell, cohort: object, level: Level) -> None:
    """CON-02 = contacts (CON-01's denominator as shown) over client-months (perturbed): shown
    only over a cohort as shown of at least the level's minimum, like a percentage."""
    _mask_count(indicator, "numerator", level)  # contacts, masked as CON-01's are
    if not isinstance(cohort, int) or cohort < level.minimum_denominator:
        _hide(indicator, "numerator", "denominator", "value")
    elif _is_hidden(indicator.get("numerator")):
        _hide(indicator, "value")


def _cells_of(indicator: Cell) -> Iterator[Cell]:
    yield indicator
    for cells in indicator.get("by", {}).values():
        yield from cells


def _tables(by_id: dict[str, Cell]) -> Iterator[tuple[Ref, list[Ref]]]:
    """Every set of shown numbers that adds up to another shown number."""
    for indicator in by_id.values():
        if indicator["id"] in (*GROWTH, RATE):
            continue
        for dimension, cells in indicator.get("by", {}).items():
            yield (indicator, "numerator"), [(cell, "numerator") for cell in cells]
            if "denominator" in indicator and dimension != "outcome":
                yield (indicator, "denominator"), [(cell, "denominator") for cell in cells]
    engagement = [by_id[i] for i in ENGAGEMENT if i in by_id]
    if len(engagement) == len(ENGAGEMENT):
        yield (engagement[0], "denominator"), [(row, "numerator") for row in engagement]
        for dimension, first_cells in engagement[0].get("by", {}).items():
            for position, cell in enumerate(first_cells):
                same_key = [row["by"][dimension][position] for row in engagement]
                yield (cell, "denominator"), [(c, "numerator") for c in same_key]


def _aliases(by_id: dict[str, Cell]) -> Iterator[list[Ref]]:
    """Groups of numbers that are one quantity shown in several places."""
    cohort_holders = [by_id[i] for i in OVER_COHORT if i in by_id]
    if "BEN-03" in by_id:
        group = [(by_id["BEN-03"], "numerator")] + [(i, "denominator") for i in cohort_holders]
        if MEDIAN in by_id:  # TIM-01 counts the cohort too
            group.append((by_id[MEDIAN], "numerator"))
        yield group
        for dimension, cells in by_id["BEN-03"].get("by", {}).items():
            for position, cell in enumerate(cells):
                group = [(cell, "numerator")]
                for holder in cohort_holders:
                    # Built over the same cohort rows: the same keys in the same order.
                    group.append((holder["by"][dimension][position], "denominator"))
                yield group
    if "ENG-02" in by_id and FACTORS in by_id:  # the disengaged clients, shown twice
        yield [(by_id["ENG-02"], "numerator"), (by_id[FACTORS], "numerator")]
    if "CON-01" in by_id and RATE in by_id:  # the contacts of the cohort, shown twice
        yield [(by_id["CON-01"], "denominator"), (by_id[RATE], "numerator")]
    if "RES-01" in by_id and "RES-02" in by_id:
        outcomes = by_id["RES-02"]
        yield [
            (by_id["RES-01"], "numerator"),
            (outcomes, "numerator"),
            (outcomes, "denominator"),
            *((cell, "denominator") for cell in outcomes["by"].get("outcome", [])),
        ]


def _unify(group: list[Ref]) -> bool:
    """Hide a quantity everywhere once it is hidden somewhere (as withheld if it is anywhere)."""
    hidden = [cell.get(name) for cell, name in group if _is_hidden(cell.get(name))]
    if not hidden:
        return False
    shown_as = WITHHELD if WITHHELD in hidden else hidden[0]
    changed = False
    for cell, name in group:
        if cell.get(name) != shown_as:
            cell[name] = shown_as
            if shown_as is WITHHELD:
                cell["withheld"] = True
            changed = True
    return changed


def _suppress(total: Ref, cells: list[Ref], level: Level) -> bool:
    """One step of secondary suppression on one table; return whether anything changed."""
    total_value = total[0].get(total[1])
    values: list[Any] = [cell.get(name) for cell, name in cells]
    shown = [ref for ref, value in zip(cells, values, strict=True) if isinstance(value, int)]
    if isinstance(total_value, int):
        at_risk = len(shown) < len(cells) and _pinned(total_value, values, level)
    else:  # a hidden total must not be the sum of cells all shown
        at_risk = len(shown) == len(cells) and any(v > 0 for v in values)
    if not at_risk:
        return False
    candidates = [ref for ref in shown if ref[0][ref[1]] > 0] or shown
    if candidates:
        cell, name = min(candidates, key=lambda ref: ref[0][ref[1]])
        return _hide(cell, name, "value")
    changed = False  # nothing left to hide: turn ranges into plain withheld cells
    for cell, name in cells:
        if isinstance(cell.get(name), str):
            changed |= _hide(cell, name, "value")
    if not changed and isinstance(total_value, int):
        # Every cell is withheld and the total still gives one of them away: a breakdown with
        # a single group (one pilot, one city), whose only cell is the total itself. The total
        # goes too, and with it, through the aliases and the other tables, whatever would
        # give it back.
        changed = _hide(total[0], total[1], "value")
    return changed


def _pinned(total: int, values: list[object], level: Level) -> bool:
    """Whether a reader who knows the total, the shown cells and the ranges of the hidden ones
    ("<5" is 1..4; withheld is anything) can work out a hidden cell exactly."""
    rest = total - sum(v for v in values if isinstance(v, int))
    if rest == 0:
        return False  # every hidden cell is zero: that gives no count of people away
    ranges = [
        (1, level.threshold) if isinstance(v, str) else (0, rest) for v in values if _is_hidden(v)
    ]
    low_sum = sum(low for low, _high in ranges)
    high_sum = sum(high for _low, high in ranges)
    if not low_sum <= rest <= high_sum:
        return False  # perturbed cells that do not add up: no hidden value follows from them
    for low, high in ranges:
        lowest = max(low, rest - (high_sum - high))
        highest = min(high, rest - (low_sum - low))
        if lowest >= highest:
            return True
    return False


def _true_new_clients(growth: Cell | None) -> int | None:
    if growth is None or growth.get("denominator") is None:
        return None
    true_count: int = growth["numerator"] + growth["denominator"]
    return true_count


def _protect_growth(indicator: Cell, current: int | None, level: Level) -> None:
    """GRO-01 = (new clients - baseline new clients) / baseline new clients. Both counts are
    about people: if either may not be shown exactly, the difference would give it back."""
    before = indicator.get("denominator")
    if before is None or current is None:
        return
    if 1 <= before <= level.threshold:
        _mask_count(indicator, "denominator", level)
        _hide(indicator, "numerator", "value")
    elif 1 <= current <= level.threshold:
        _hide(indicator, "numerator", "value")
    elif 0 < before < level.minimum_denominator:
        _hide(indicator, "value")


# Perturbation: the cell-key method.
#
# Every dataset row has a *record key*: a number in [0, KEY_SPACE) from a keyed hash (HMAC) of
# its pilot and `case_ref`, with the instance's secret perturbation key. A cell's key is the sum
# of its records' keys plus the key of its *population* (the rows of the report's pilots, or of
# the cell's own pilot or country in a breakdown by pilot or country: the sum of a keyed hash of
# each row's whole content), modulo KEY_SPACE. The noise is read from PTABLE at that key and the
# true count. So the same rows always give the same numbers, the same records show the same
# quantity the same wherever it appears (the cohort in BEN-03 and every denominator), and once
# anything in the population changes (a person added, or one person's row changed), every cell
# of it is drawn afresh: a cell the person did not enter moves as much as the one they did.

KEY_SPACE = 2**32
NOISE_LIMIT = 2  # no perturbed count moves further than this from the true one
FITTED_LIMIT = 3 * NOISE_LIMIT  # ENG-01..03 after they are fitted to the perturbed cohort
PTABLE_DENOMINATOR = 20
# For a true count of 0, 1, and 2 or more: the published count's offsets with their weights in
# twentieths. Zero mean in every row, variance 0.8 (0.8 for a 1), nothing below zero; a true
# zero is always published as zero (it has no records), a true 1 is published as 0 in 30% of
# cases, so a published zero does not mean nobody.
PTABLE: dict[int, tuple[tuple[int, int], ...]] = {
    0: ((0, 20),),
    1: ((-1, 6), (0, 10), (1, 2), (2, 2)),
    2: ((-2, 1), (-1, 4), (0, 10), (1, 4), (2, 1)),
}


def noise(cell_key: int, count: int) -> int:
    """The offset PTABLE gives a true `count` whose cell key is `cell_key`."""
    position = cell_key % KEY_SPACE * PTABLE_DENOMINATOR // KEY_SPACE
    for offset, weight in PTABLE[min(count, 2)]:
        if position < weight:
            return offset
        position -= weight
    raise AssertionError("PTABLE rows add up to PTABLE_DENOMINATOR")


def support(count: int) -> range:
    """Every count that a true `count` can be published as (before masking)."""
    return range(count + PTABLE[min(count, 2)][0][0], count + PTABLE[min(count, 2)][-1][0] + 1)


class Perturbation(RowKeys):
    """The secret side of the perturbation: record keys and population keys of one instance.

    The secret is derived from the instance's index key (`ENGAGE_INDEX_KEY`, kept in the
    environment, never in the database, a backup or a report), so it is the same for every
    report of the instance. A pilot's instance and the hub each use their own; rows imported at
    the hub are keyed by their `case_ref`, as they are on the pilot's instance. The rows' keys
    are made by `mel.dataset.keys.RowKeys`, so that the dataset keeps them with its rows.
    """

    def records(self, rows: Iterable[dict[str, str]]) -> list[int]:
        """`record` of each row, in their order; a `KeyedRow`, or a row of `StoredRows`, gives
        the key it was kept with."""
        if isinstance(rows, StoredRows):
            return self._stored(rows, rows.records, super().records).tolist()  # type: ignore[no-any-return]
        return super().records(rows)

    def _stored(
        self,
        rows: StoredRows,
        kept: npt.NDArray[np.int64],
        make: Callable[[list[dict[str, str]]], list[int]],
    ) -> npt.NDArray[np.int64]:
        """One kind of key of `rows` (`kept`: their record or their content keys): as stored,
        and made by `make` for the rows whose keys are not known (changed since, or stored
        under another secret). Each kind is made only where it is asked for."""
        unknown = np.flatnonzero(~rows.known)
        if not len(unknown):
            return kept
        # Most of them (a document kept before its keys were): all made at once, quicker.
        every = rows.rows() if len(unknown) * 4 > len(rows) else rows
        made = kept.copy()
        made[unknown] = make([every[number] for number in unknown.tolist()])
        return made

    def of(self, *parts: str) -> int:
        """A cell key for figures that are not counts of dataset rows (the cost comparison's
        clients and client-days): the same parts always give the same key."""
        return self._key("cell", *parts)

    def person(self, person_ref: str) -> int:
        return self._key("person", person_ref)

    def populations(self, rows: Iterable[dict[str, str]]) -> dict[str, int]:
        """Each pilot's population key: the sum of a keyed hash of each of its rows' content,
        `_key("row", "column=value", ...)` over its columns sorted by name (`contents`)."""
        if isinstance(rows, StoredRows):
            pilots, codes = rows.column("pilot")
            sums = np.zeros(len(pilots), np.int64)
            contents = self._stored(rows, rows.contents, self.contents)
            np.add.at(sums, codes, contents)  # under 2**63 for any rows we hold
            held = np.bincount(codes, minlength=len(pilots)).tolist()
            return {pilot: total % KEY_SPACE
                    for pilot, total, count in zip(pilots, sums.tolist(), held, strict=True)
                    if count}  # fmt: skip
        rows = list(rows)
        keys: dict[str, int] = {}
        for row, content in zip(rows, self.contents(rows), strict=True):
            keys[row["pilot"]] = (keys.get(row["pilot"], 0) + content) % KEY_SPACE
        return keys


# The scalars of a report's cells: kept as they are by a copy (they cannot be changed in place).
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _copied(value: Any) -> Any:
    """A copy of a tree of dicts and lists of scalars (a report's indicators, which `compute`
    builds afresh for each report: no container in two places), the same as `copy.deepcopy`'s
    for that shape and about four times quicker (deepcopy dispatches on each object's type and
    keeps a memo of every container; a tenth of a report's time, issue 17). Anything else is
    left to `deepcopy`."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else _copied(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else _copied(v) for v in value]
    return value if kind in _SCALARS else copy.deepcopy(value)


def _perturbed(count: int, cell_key: int) -> int:
    return count + noise(cell_key, count)


def perturb(indicators: list[Cell], level_name: str) -> list[Cell]:
    """A copy of the indicators with their counts perturbed for `level_name` (nothing masked
    yet), and their cell keys removed. `exact` and cells without keys are left as they are."""
    result: list[Cell] = _copied(indicators)
    keyed = level_name != "exact"
    truths = {indicator["id"]: indicator for indicator in indicators}
    for indicator in result:
        for cell in _cells_of(indicator):
            keys = cell.pop(CELL_KEYS, None)
            if not keyed or keys is None:
                continue
            if indicator["id"] in GROWTH:
                _perturb_growth(cell, keys)
                continue
            if indicator["id"] == RATE:
                _perturb_rate(cell, keys)
                continue
            for name in ("numerator", "denominator"):
                if name in keys and isinstance(cell.get(name), int):
                    cell[name] = _perturbed(cell[name], keys[name])
            n, d = cell.get("numerator"), cell.get("denominator")
            if isinstance(n, int) and isinstance(d, int) and n > d:
                cell["numerator"] = d  # a part is never more than its whole
            cell["perturbed"] = True
    by_id = {indicator["id"]: indicator for indicator in result}
    if keyed and all(by_id.get(i, {}).get("perturbed") for i in ENGAGEMENT):
        _fit_engagement(by_id, truths)
    if keyed and FACTORS in by_id and "ENG-02" in by_id:
        # ENG-04's disengaged clients are ENG-02's numerator as shown (the same rows and key,
        # but ENG-02 may have been fitted to the cohort): one quantity, one number.
        by_id[FACTORS]["numerator"] = by_id["ENG-02"]["numerator"]
    for indicator in result:
        for cell in _cells_of(indicator):
            if not cell.pop("perturbed", False):
                continue
            if "denominator" in cell and indicator["id"] not in GROWTH:
                cell["value"] = _percentage(cell["numerator"], cell["denominator"])
            elif "value" in cell and not (indicator["id"] in MEDIANS and cell is indicator):
                cell["value"] = cell["numerator"]
    return result


def _percentage(numerator: object, denominator: object) -> float | None:
    if not isinstance(numerator, int) or not isinstance(denominator, int):
        return None
    return percentage(numerator, denominator)


def _perturb_growth(cell: Cell, keys: dict[str, int]) -> None:
    """GRO-01 = current - baseline new clients over baseline: both counts perturbed (the
    current one is BEN-02's, with its key), then the difference and percentage taken."""
    before = cell.get("denominator")
    if not isinstance(before, int) or not isinstance(cell.get("numerator"), int):
        return
    current = _perturbed(cell["numerator"] + before, keys["current"])
    before = _perturbed(before, keys["denominator"])
    cell["numerator"], cell["denominator"] = current - before, before
    cell["value"] = _percentage(current - before, before)


def _perturb_rate(cell: Cell, keys: dict[str, int]) -> None:
    """CON-02: the contacts perturbed as CON-01's denominator (the same count, the same key),
    the client-months by up to MONTHS_NOISE (one client's months are not given away by two
    reports subtracted), then the rate taken from the two as shown."""
    contacts, months = cell.get("numerator"), cell.get("denominator")
    if not isinstance(contacts, int) or not isinstance(months, int):
        return
    contacts = _perturbed(contacts, keys["numerator"])
    if months:
        months = max(1, months + spread(keys["denominator"], MONTHS_NOISE))
    cell["numerator"], cell["denominator"] = contacts, months
    cell["value"] = rate(contacts, months)


def spread(cell_key: int, limit: int) -> int:
    """An offset in [-limit, limit], the same for the same key, spread evenly over the keys
    (mixed first, so that it does not follow PTABLE's draw of the same key)."""
    mixed = (cell_key * 0x9E3779B1 + 0x7F4A7C15) % KEY_SPACE
    return mixed * (2 * limit + 1) // KEY_SPACE - limit


def _fit_engagement(by_id: dict[str, Cell], truths: dict[str, Cell]) -> None:
    """ENG-01..03 add up to the cohort as shown: overall and within every breakdown key, the
    largest true outcome is the perturbed cohort minus the two others as perturbed."""
    rows = [by_id[i] for i in ENGAGEMENT]
    true_rows = [truths[i] for i in ENGAGEMENT]
    _fit(rows, true_rows)
    for dimension, cells in rows[0].get("by", {}).items():
        for position in range(len(cells)):
            _fit(
                [row["by"][dimension][position] for row in rows],
                [row["by"][dimension][position] for row in true_rows],
            )


def _fit(cells: list[Cell], true_cells: list[Cell]) -> None:
    total = cells[0]["denominator"]
    parts = [cell["numerator"] for cell in cells]
    truth = [cell["numerator"] for cell in true_cells]
    derived = max(range(len(parts)), key=lambda i: (truth[i], -i))
    parts[derived] = total - sum(p for i, p in enumerate(parts) if i != derived)
    while parts[derived] < 0:  # a small cohort: take from the part most above its true value
        donor = max(
            (i for i in range(len(parts)) if i != derived and parts[i] > 0),
            key=lambda i: (parts[i] - truth[i], -i),
        )
        parts[donor] -= 1
        parts[derived] += 1
    for cell, part in zip(cells, parts, strict=True):
        cell["numerator"] = part


def perturbed_count(count: int, cell_key: int | None, level_name: str) -> int | str:
    """One count about people as shown at `level_name` (perturbed, then masked)."""
    if level_name != "exact" and cell_key is not None:
        count = _perturbed(count, cell_key)
    return shown_count(count, level_name)


# The report's figures beside its indicators (issue 14): the coverage of its data, whether it
# has any, and the caseload month by month. Each is a count about people, shown through the
# same control as the indicators, and tied to the indicators it repeats so that a reader who
# holds them all together learns nothing the indicators alone do not tell.


def report_figures(
    shown: list[Cell],
    *,
    rows: tuple[int, int | None],
    cohort: int,
    caseload: Sequence[tuple[str, int, int | None]],
    end: str,
    level_name: str,
) -> dict[str, Any]:
    """`has_data`, `coverage` and `series` of a report whose indicators are `shown` (already
    through `apply`), at `level_name`.

    - `coverage.rows` (every enrollment of the report's rows: `rows` is its true count and cell
      key) is perturbed and masked like any count. It adds up to nothing else shown (the rows
      outside the cohort are not a published figure), so a reader who subtracts the cohort gets
      a difference of two independent noises, not a count;
    - `coverage.cohort` and `coverage.with_two_assessments` *are* BEN-03's and CAP-04's
      numerators as shown (withheld where they are), never a second draw of the same count: two
      draws of one count would let a reader average the noise away;
    - `series` is BEN-01 at the end of each month, each month perturbed with the key of its own
      rows and masked; the month `end` is BEN-01 as shown (the same rows, the same key);
    - `has_data` below `exact` says whether the cohort *as shown* is not zero: a perturbed
      cohort of 0 may hold a person, and "this period has data" beside it would say so.
    """
    level = LEVELS[level_name]
    by_id = {indicator["id"]: indicator for indicator in shown}
    count, key = rows
    shown_cohort = by_id["BEN-03"]["numerator"]
    series = []
    for month, value, month_key in caseload:
        if month == end:
            series.append({"month": month, "value": by_id["BEN-01"]["numerator"]})
        else:
            series.append({"month": month, "value": perturbed_count(value, month_key, level.name)})
    return {
        "has_data": bool(cohort) if level.name == "exact" else shown_cohort != 0,
        "coverage": {
            "rows": perturbed_count(count, key, level.name),
            "cohort": shown_cohort,
            "with_two_assessments": by_id["CAP-04"]["numerator"],
        },
        "series": {"BEN-01": series},
    }


def protect_parts(
    total: int | str | None, parts: Sequence[int | str | None], level_name: str
) -> list[int | str | None]:
    """Parts of a total shown beside it (a series of periods whose new clients add up to the
    period's, each already perturbed and masked): the parts as they may be shown, with the
    secondary suppression of `apply` (no hidden part pinned down by the total and the others;
    a hidden total not given back by parts all shown). `total` and `parts` are numbers as shown
    (int, "<5", or None for withheld); the total itself is left as it is."""
    level = LEVELS[level_name]
    if level.name == "exact":
        return list(parts)
    cells = [{"numerator": part} for part in parts]
    holder = {"numerator": total}
    refs = [(cell, "numerator") for cell in cells]
    while _suppress((holder, "numerator"), refs, level):
        pass
    return [cell["numerator"] for cell in cells]
