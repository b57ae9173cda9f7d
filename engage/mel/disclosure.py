"""Disclosure control (shared/spec/indicators.md), applied in one place before any rendering.

A count about people in 1..threshold is shown as "<5" (or "<10"); a percentage is withheld when
its denominator is under the minimum, or its numerator or the rest of its denominator is in
1..threshold (and then the numbers that would give the hidden count away are withheld too).
In a table with a shown total, a single withheld cell takes the next smallest with it, so no
hidden count can be worked out by subtraction. Tables with totals are: each breakdown of an
indicator (its cells add up to the indicator), the breakdown of outcomes (RES-02), and the three
engagement outcomes (ENG-01..03 add up to the cohort, overall and within each breakdown key).
"""

import copy
from dataclasses import dataclass

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


def _is_hidden(value) -> bool:
    return value is None or isinstance(value, str)


def _hide(cell: dict, *names: str) -> None:
    for name in names:
        if name in cell and cell[name] is not None:
            cell[name] = WITHHELD
    cell["withheld"] = True


def _mask_count(cell: dict, name: str, level: Level) -> None:
    value = cell.get(name)
    if isinstance(value, int) and 1 <= value <= level.threshold:
        cell[name] = level.small


def _protect_ratio(cell: dict, level: Level) -> None:
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
        if (
            1 <= rest <= small
            and isinstance(cell["numerator"], int)
            and isinstance(cell["denominator"], int)
        ):
            _hide(cell, "numerator")  # with the denominator shown, it would give the rest away


def _protect_count(cell: dict, level: Level) -> None:
    _mask_count(cell, "numerator", level)
    if "value" in cell:
        cell["value"] = cell["numerator"]


def shown_count(count: int, level_name: str):
    """A count of people as it may be shown at `level_name`."""
    level = LEVELS[level_name]
    return level.small if 1 <= count <= level.threshold else count


def _complement(cells: list[dict], name: str, total_shown: bool) -> bool:
    """If exactly one cell hides `name` under a shown total, hide the next smallest too.

    Return whether a cell was hidden (hiding a denominator hides its numerator too, so the
    numerators may need another pass)."""
    if not total_shown:
        return False
    hidden = [c for c in cells if _is_hidden(c.get(name))]
    if len(hidden) != 1:
        return False
    shown = [c for c in cells if isinstance(c.get(name), int)]
    candidates = [c for c in shown if c[name] > 0] or shown
    if not candidates:
        return False
    victim = min(candidates, key=lambda c: c[name])
    _hide(victim, name, "value")
    if name == "denominator":
        _hide(victim, "numerator")  # n / value would give the denominator back
    return True


def apply(indicators: list[dict], level_name: str) -> list[dict]:
    """Return a copy of the indicators as they may be shown at `level_name`."""
    level = LEVELS[level_name]
    result = copy.deepcopy(indicators)
    if level.name == "exact":
        return result
    by_id = {indicator["id"]: indicator for indicator in result}
    for indicator in result:
        _protect(indicator, level)
    _protect_engagement(by_id, level)
    return result


def _protect(indicator: dict, level: Level) -> None:
    is_ratio = "denominator" in indicator
    protect = _protect_ratio if is_ratio else _protect_count
    if indicator["id"] == "GRO-01":
        _protect_growth(indicator, level)
        return
    protect(indicator, level)
    for cells in indicator.get("by", {}).values():
        for cell in cells:
            protect(cell, level)
        changed = True
        while changed:  # until both columns hide none or at least two cells
            changed = _complement(cells, "numerator", isinstance(indicator.get("numerator"), int))
            if is_ratio:
                total = isinstance(indicator.get("denominator"), int)
                changed = _complement(cells, "denominator", total) or changed
        for cell in cells:  # a hidden count takes its percentage with it
            hidden = _is_hidden(cell.get("numerator")) or _is_hidden(cell.get("denominator"))
            if hidden and is_ratio and cell.get("value") is not None:
                _hide(cell, "value")


def _protect_growth(indicator: dict, level: Level) -> None:
    """GRO-01: the baseline's new clients are a count of people; the difference reveals it."""
    d = indicator.get("denominator")
    if d is None:
        return
    if d < level.minimum_denominator or 1 <= d <= level.threshold:
        _mask_count(indicator, "denominator", level)
        _hide(indicator, "numerator", "value")


def _protect_engagement(by_id: dict, level: Level) -> None:
    """ENG-01..03 add up to the cohort: treat them as one table, overall and per key."""
    rows = [by_id[i] for i in ENGAGEMENT if i in by_id]
    if len(rows) != len(ENGAGEMENT):
        return
    cohort_shown = isinstance(rows[0].get("denominator"), int)
    _complement(rows, "numerator", cohort_shown)
    for dimension in rows[0].get("by", {}):
        keys = {cell["key"] for cell in rows[0]["by"][dimension]}
        for key in keys:
            cells = [next(c for c in row["by"][dimension] if c["key"] == key) for row in rows]
            _complement(cells, "numerator", isinstance(cells[0].get("denominator"), int))
