"""The network-building indicators NET-01..NET-14 (docs/indicators.md), from the records.

Plain functions over activities and stakeholders with their stage history, exact; disclosure
control is applied afterwards (`report.py`), to the two that count people (NET-06, NET-07).
A period is months `[start, end]`: from the first day of `start` to the last day of `end`. An
activity counts in the period of its `date`.
"""

import calendar
import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from engage.mel.report.indicators import Result, percentage
from engage.network.models import ENGAGED_STAGES, Activity, ActivityKind, ActorType, Stakeholder

NETWORK_OWNER = "network"
# The indicators whose counts are about people (disclosure control applies to them).
ABOUT_PEOPLE = ("NET-06", "NET-07")
# NET-14: the stakeholders that an organisation approaching them about community-based
# solutions counts for: governments (national authorities), local authorities, funders.
APPROACHED = (ActorType.NATIONAL_AUTHORITY, ActorType.LOCAL_AUTHORITY, ActorType.FUNDER)

# What the indicators count: activities, or stakeholders.
_Record = TypeVar("_Record", Activity, Stakeholder)


@dataclass(frozen=True)
class Period:
    first: datetime.date
    last: datetime.date

    @classmethod
    def of_months(cls, start: str, end: str) -> "Period":
        year, month = int(end[:4]), int(end[5:7])
        last = datetime.date(year, month, calendar.monthrange(year, month)[1])
        return cls(datetime.date(int(start[:4]), int(start[5:7]), 1), last)

    def __contains__(self, day: datetime.date) -> bool:
        return self.first <= day <= self.last


def owner_of(record: Activity | Stakeholder) -> str:
    """The pilot code of the record's organisation, or "network" for the network's own."""
    return record.organisation.code if record.organisation is not None else NETWORK_OWNER


def _yes_no(value: bool) -> str:
    return "true" if value else "false"


def _count(
    indicator: str, records: list[_Record], dimensions: Mapping[str, Callable[[_Record], str]]
) -> Result:
    result = Result(indicator, len(records), kind="count")
    for dimension, key_of in {"owner": owner_of, **dimensions}.items():
        groups: dict[str, int] = defaultdict(int)
        for record in records:
            groups[key_of(record)] += 1
        result.by[dimension] = [
            {"key": key, "numerator": n, "value": n} for key, n in sorted(groups.items())
        ]
    return result


def _sum(indicator: str, records: list[Activity], amount: Callable[[Activity], int]) -> Result:
    result = Result(indicator, sum(amount(r) for r in records), kind="count")
    groups: dict[str, int] = defaultdict(int)
    for record in records:
        groups[owner_of(record)] += amount(record)
    result.by["owner"] = [
        {"key": key, "numerator": n, "value": n} for key, n in sorted(groups.items())
    ]
    return result


def _ratio(
    indicator: str,
    records: list[Activity],
    numerator: Callable[[Activity], int],
    denominator: Callable[[Activity], int],
) -> Result:
    n = sum(numerator(r) for r in records)
    d = sum(denominator(r) for r in records)
    result = Result(indicator, n, d, percentage(n, d))
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        cell = groups[owner_of(record)]
        cell[0] += numerator(record)
        cell[1] += denominator(record)
    result.by["owner"] = [
        {"key": key, "numerator": n, "denominator": d, "value": percentage(n, d)}
        for key, (n, d) in sorted(groups.items())
    ]
    return result


def _country(record: Activity | Stakeholder) -> str:
    return record.country.code if record.country else ""


def stage_at(stakeholder: Stakeholder, day: datetime.date) -> str | None:
    """The stakeholder's stage at the end of `day`, from its history (None: not yet mapped).

    `stakeholder.stages` is expected prefetched, in date order."""
    stage = None
    for change in stakeholder.stages.all():
        if change.date <= day:
            stage = change.stage
    return stage


def first_engaged_on(stakeholder: Stakeholder) -> datetime.date | None:
    """The first day the stakeholder reached engaged or partner."""
    for change in stakeholder.stages.all():
        if change.stage in ENGAGED_STAGES:
            return change.date
    return None


def compute(
    activities: Iterable[Activity], stakeholders: Iterable[Stakeholder], start: str, end: str
) -> list[Result]:
    """Every NET-* indicator for the months [start, end], exact."""
    period = Period.of_months(start, end)
    activities = list(activities)
    stakeholders = list(stakeholders)

    def of(kind: str, **flags: Any) -> list[Activity]:
        return [
            a
            for a in activities
            if a.kind == kind
            and a.date in period
            and all(getattr(a, name) == value for name, value in flags.items())
        ]

    trainings = of(ActivityKind.TRAINING)
    presentations = of(ActivityKind.PRESENTATION)
    case_work = [
        a
        for a in activities
        if a.kind == ActivityKind.LIVED_EXPERIENCE_CASE_WORK
        and a.date <= period.last
        and (a.end_date is None or a.end_date >= period.first)
    ]
    engaged = [s for s in stakeholders if stage_at(s, period.last) in ENGAGED_STAGES]
    newly_engaged = [s for s in stakeholders if (day := first_engaged_on(s)) and day in period]
    pilots = {"expansion": lambda a: a.expansion or "", "country": _country}
    return [
        _count("NET-01", of(ActivityKind.PILOT_STARTED), pilots),
        _count(
            "NET-02",
            engaged,
            {
                # Never None: the engaged have a stage by the period's end.
                "stage": lambda s: stage_at(s, period.last) or "",
                "actor_type": lambda s: s.actor_type,
                "level": lambda s: s.level,
            },
        ),
        _count("NET-03", trainings, {"country": _country}),
        _count(
            "NET-04",
            [a for a in presentations if a.high_profile],
            {"invited": lambda a: _yes_no(a.invited)},
        ),
        _count("NET-05", of(ActivityKind.LIVED_EXPERIENCE_INITIATIVE), {"country": _country}),
        _sum("NET-06", case_work, lambda a: a.people or 0),
        _ratio(
            "NET-07",
            trainings,
            lambda a: a.participants_lived_experience or 0,
            lambda a: a.participants or 0,
        ),
        _count(
            "NET-08",
            [a for a in trainings if (a.participants_lived_experience or 0) > 0],
            {"country": _country},
        ),
        _count("NET-09", presentations, {"high_profile": lambda a: _yes_no(a.high_profile)}),
        _count("NET-10", of(ActivityKind.CONCEPT_NOTE), {"country": _country}),
        _count("NET-11", of(ActivityKind.PILOT_EXPLORED), pilots),
        _count("NET-12", of(ActivityKind.FUNDING), {"country": _country}),
        _count(
            "NET-13",
            newly_engaged,
            {"actor_type": lambda s: s.actor_type, "level": lambda s: s.level},
        ),
        approaching(stakeholders, period),
    ]


def approaching(stakeholders: Iterable[Stakeholder], period: Period) -> Result:
    """NET-14: the organisations that approached a government, a local authority or a funder
    in the period: each owner (a pilot's organisation, or the network's coordinators as one)
    with at least one interaction dated in the period with such a stakeholder of theirs,
    counted once. By `actor_type`, an organisation counts once under each type it approached
    (so the types need not add up to the total); by `owner`, 1 each. Only the interactions'
    dates are read, never their people or notes.

    `stakeholder.interactions` is expected prefetched."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for stakeholder in stakeholders:
        if stakeholder.actor_type not in APPROACHED:
            continue
        if any(i.date in period for i in stakeholder.interactions.all()):
            by_type[stakeholder.actor_type].add(owner_of(stakeholder))
    owners = set().union(*by_type.values()) if by_type else set()
    result = Result("NET-14", len(owners), kind="count")
    result.by["owner"] = [{"key": key, "numerator": 1, "value": 1} for key in sorted(owners)]
    result.by["actor_type"] = [
        {"key": key, "numerator": len(by_type[key]), "value": len(by_type[key])}
        for key in APPROACHED
    ]
    return result
