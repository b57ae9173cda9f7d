"""Parts of the report that apps to the right of `mel` add (the network's NET-* indicators and
cost comparison), so that `mel` does not import them: the same idea as `cases.due.register`.

A part computes its indicators in the report's shape (`{"id", "numerator", ...}`, disclosure
control already applied by the part, which knows which of its counts are about people) and,
optionally, data of its own under `key`. The renderings show its indicators with `names` and
include `template` in the HTML; `xlsx` adds its own sheet.

A finished report is served again until the data it read change (`mel.runs`): the records of
cases are marked by the change history (`cases.data_version`), which sees every write of a
record with a key to a case or a person. A part that reads any other record (the network's
activities, costs) must give `version`, a cheap mark of those records that changes whenever
they do; without it, the part is taken to read records of cases only.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class ReportPart:
    key: str
    # (start, end, pilots, level, network) -> {"indicators": [...], "data": ... or None}
    compute: Callable[..., dict[str, Any]]
    names: Mapping[str, "StrOrPromise"]  # each indicator's name, translated
    template: str
    # (the workbook, the report) -> None: adds the part's sheet
    xlsx: Callable[[Any, dict[str, Any]], None] | None = None
    dimension_label: Callable[[str], str] | None = None
    key_label: Callable[[str, str], str] | None = None
    contents: Callable[[object], list[tuple[str, str]]] | None = None
    # () -> a mark that changes whenever the records the part reads change
    version: Callable[[], str] | None = None


_PARTS: dict[str, ReportPart] = {}


def register(part: ReportPart) -> None:
    _PARTS[part.key] = part


def registered() -> list[ReportPart]:
    return list(_PARTS.values())


def versions() -> dict[str, str]:
    """Each part's mark of the records it reads besides those of cases ("" for none)."""
    return {key: part.version() if part.version else "" for key, part in _PARTS.items()}


def name_of(indicator_id: str) -> "StrOrPromise | None":
    for part in _PARTS.values():
        if indicator_id in part.names:
            return part.names[indicator_id]
    return None


def part_of(indicator_id: str) -> ReportPart | None:
    for part in _PARTS.values():
        if indicator_id in part.names:
            return part
    return None


def extend(
    report: dict[str, Any], *, start: str, end: str, pilots: list[str], network: bool
) -> dict[str, Any]:
    """Add every registered part to `report` (in place) and return it.

    `network`: whether the network's own records (its coordinators') count, as in a report the
    coordinator or the command line makes; an organisation's staff get their own records only.
    """
    for part in _PARTS.values():
        computed = part.compute(
            start=start, end=end, pilots=pilots, level=report["disclosure"], network=network
        )
        report["indicators"].extend(computed["indicators"])
        if computed.get("data") is not None:
            report[part.key] = computed["data"]
    return report
