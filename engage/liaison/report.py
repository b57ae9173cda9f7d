"""A pilot's own figures of its liaison records, added to its own report (issue 14, section 5):
compliance with reporting obligations and the release requests made and granted.

They come from the pilot's live records (`ReportingObligation`, `ReportingEvent`,
`LiaisonRecord`), which the network dataset does not carry: they are in a report of one pilot
working on this instance (the report its own staff make, and the same report from the command
line, which must give the same bytes), never in a report of several pilots or of a pilot known
from its submission only. Registered with `engage.mel.report.parts` when the app loads, so `mel` does not
import `liaison`. Only dates, statuses, kinds and outcomes are read, never a note or a name.

- REP-01 reporting days met: of the reporting days in the period (every day an obligation
  expected, up to today, and any other day a reporting was recorded), those the client reported;
  an excused day is not counted at all.
- REP-02 release requests: the release requests made in the period (numerator and denominator),
  with the share of them by outcome (`by["outcome"]`: a request granted is `favourable`).

Both count records about people, so they go through `mel.report.disclosure` at the report's
level: perturbed with the cell-key method, then masked and suppressed, as the indicators are.
Each record (a reporting day, a release request) has a key of its own and the period's records
a population key of their content (`_Keys`), so two reports of overlapping periods draw each
count afresh: subtracted (one month's report from two months'), they give the other month's
requests plus the difference of two noises, not one client's request and its outcome.
"""

import datetime
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation
from engage.liaison import schedule
from engage.liaison.models import LiaisonRecord, ReportingEvent, ReportingObligation
from engage.lib.scoping import organisation_scope
from engage.mel.report import disclosure
from engage.mel.report.indicators import CELL_KEYS, percentage
from engage.mel.report.parts import ReportPart

# Lazy translations, strings once shown (ReportPart.names is typed for the shown strings).
NAMES = cast(
    Mapping[str, str],
    {"REP-01": _("Reporting days met"), "REP-02": _("Release requests made")},
)
# The outcomes of a release request, in the order shown (LiaisonRecord.Outcome).
OUTCOMES = ("favourable", "partly", "unfavourable", "pending", "no_answer", "information")


def _month_bounds(start: str, end: str) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(int(start[:4]), int(start[5:7]), 1)
    year, month = int(end[:4]), int(end[5:7])
    last = datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)
    return first, last


def _days(
    obligations: Iterable[ReportingObligation],
    events: Iterable[ReportingEvent],
    first: datetime.date,
    last: datetime.date,
) -> dict[tuple[uuid.UUID, datetime.date], str]:
    """The reporting days between `first` and `last` (each obligation's expected days and its
    recorded days, once each), with what was recorded of each ("" for nothing)."""
    recorded: dict[tuple[uuid.UUID, datetime.date], str] = {
        (e.obligation_id, e.date): e.status for e in events
    }
    days = {key: status for key, status in recorded.items() if first <= key[1] <= last}
    for obligation in obligations:
        expected = schedule.expected_days(
            obligation.start_date, obligation.frequency, obligation.interval_days,
            obligation.end_date, last,
        )  # fmt: skip
        for day in expected:
            if day >= first:
                days.setdefault((obligation.pk, day), "")
    return days


def _met_and_counted(
    days: Mapping[tuple[uuid.UUID, datetime.date], str],
) -> tuple[list[str], list[str]]:
    """The days reported and the days counted (an excused day counts in neither), as refs."""
    counted = [f"{pk} {day}" for (pk, day), status in days.items()
               if status != ReportingEvent.Status.EXCUSED]  # fmt: skip
    met = [f"{pk} {day}" for (pk, day), status in days.items()
           if status == ReportingEvent.Status.REPORTED]  # fmt: skip
    return met, counted


def reporting_days(
    obligations: Iterable[ReportingObligation],
    events: Iterable[ReportingEvent],
    first: datetime.date,
    last: datetime.date,
) -> tuple[int, int]:
    """(days reported, reporting days) between `first` and `last`."""
    met, counted = _met_and_counted(_days(obligations, events, first, last))
    return len(met), len(counted)


def reporting_days_met(
    obligations: Iterable[ReportingObligation],
    events: Iterable[ReportingEvent],
    first: datetime.date,
    last: datetime.date,
) -> dict[str, Any]:
    """REP-01, with its cell keys: each reporting day a record (its obligation and date), its
    content what was recorded of it."""
    days = _days(obligations, events, first, last)
    keys = _Keys("reporting day", {f"{pk} {day}": status for (pk, day), status in days.items()})
    met, counted = _met_and_counted(days)
    return {"id": "REP-01", "numerator": len(met), "denominator": len(counted),
            "value": percentage(len(met), len(counted)),
            CELL_KEYS: {"numerator": keys.of(met), "denominator": keys.of(counted)}}  # fmt: skip


class _Keys:
    """Cell keys of one kind of record (`kind`): each record's key, and the population's, the
    sum of a key of each record's content (its status or outcome), so that a record added or
    changed draws every count of them afresh."""

    def __init__(self, kind: str, records: Mapping[str, str]):
        self.secret = disclosure.Perturbation.of_instance()
        self.kind = kind
        self.records = {ref: self.secret.of(kind, ref) for ref in records}
        self.population = sum(self.secret.of(kind, ref, value) for ref, value in records.items())

    def of(self, refs: Iterable[str]) -> int:
        total = self.population + sum(self.records[ref] for ref in refs)
        return total % disclosure.KEY_SPACE


def release_requests(outcomes: Mapping[str, str]) -> dict[str, Any]:
    """REP-02 from the outcomes of the period's release requests (record id: outcome)."""
    total = len(outcomes)
    keys = _Keys("release request", outcomes)
    every = keys.of(outcomes)
    by = []
    for outcome in OUTCOMES:
        these = [ref for ref, value in outcomes.items() if value == outcome]
        by.append({
            "key": outcome,
            "numerator": len(these),
            "denominator": total,
            "value": percentage(len(these), total),
            CELL_KEYS: {"numerator": keys.of(these), "denominator": every},
        })  # fmt: skip
    return {"id": "REP-02", "numerator": total, "denominator": total,
            "value": percentage(total, total), "by": {"outcome": by},
            CELL_KEYS: {"numerator": every, "denominator": every}}  # fmt: skip


def compute(
    *, start: str, end: str, pilots: list[str], level: str, network: bool
) -> dict[str, Any]:
    """REP-01 and REP-02 of a report of one pilot of this instance; nothing in any other."""
    if len(pilots) != 1:
        return {"indicators": [], "data": None}
    organisation = Organisation.objects.filter(code=pilots[0]).first()
    if organisation is None:
        return {"indicators": [], "data": None}
    first, last = _month_bounds(start, end)
    # A day still to come is not yet met nor missed: the organisation's today, not the server's
    # (in Sofia after midnight, a London reporting day counted as missed before it came).
    last = min(last, organisation.today())
    # Read in the organisation's own scope: only dates, statuses, kinds and outcomes.
    with organisation_scope(organisation.pk):
        obligations = list(
            ReportingObligation.objects.filter(
                case__organisation=organisation, start_date__lte=last
            )
            .exclude(end_date__lt=first)
            .only("id", "start_date", "frequency", "interval_days", "end_date")
        )
        events = list(
            ReportingEvent.objects.filter(
                obligation__in=obligations, date__gte=first, date__lte=last
            ).only("id", "obligation_id", "date", "status")
        )
        outcomes = {
            str(pk): outcome
            for pk, outcome in LiaisonRecord.objects.filter(
                case__organisation=organisation,
                kind=LiaisonRecord.Kind.RELEASE_REQUEST,
                date__gte=first,
                date__lte=_month_bounds(start, end)[1],
            ).values_list("pk", "outcome")
        }
    computed = [
        reporting_days_met(obligations, events, first, last),
        release_requests(outcomes),
    ]
    # `data` says which pilot the figures are of: the report's contents list the section then.
    return {"indicators": disclosure.apply(computed, level), "data": {"pilot": pilots[0]}}


def contents(data: object) -> list[tuple[str, str]]:
    """The part's entry in the report's table of contents, when it has figures."""
    if not data:
        return []
    return [("reporting-and-release", str(_("Reporting obligations and release requests")))]


PART = ReportPart(
    key="liaison_figures",
    compute=compute,
    names=NAMES,
    template="liaison/report_part.html",
    contents=contents,
)
