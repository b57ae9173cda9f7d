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
level (masked and suppressed, not perturbed: they carry no record keys).
"""

import datetime
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation
from engage.liaison import schedule
from engage.liaison.models import LiaisonRecord, ReportingEvent, ReportingObligation
from engage.lib.scoping import organisation_scope
from engage.mel.report import disclosure
from engage.mel.report.indicators import percentage
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


def reporting_days(
    obligations: Iterable[ReportingObligation],
    events: Iterable[ReportingEvent],
    first: datetime.date,
    last: datetime.date,
) -> tuple[int, int]:
    """(days reported, reporting days) between `first` and `last`: each obligation's expected
    days and its recorded days, once each; an excused day counts in neither."""
    recorded: dict[tuple[uuid.UUID, datetime.date], str] = {
        (e.obligation_id, e.date): e.status for e in events
    }
    days: set[tuple[uuid.UUID, datetime.date]] = {
        key for key in recorded if first <= key[1] <= last
    }
    for obligation in obligations:
        expected = schedule.expected_days(
            obligation.start_date, obligation.frequency, obligation.interval_days,
            obligation.end_date, last,
        )  # fmt: skip
        days.update((obligation.pk, day) for day in expected if day >= first)
    counted = [day for day in days if recorded.get(day) != ReportingEvent.Status.EXCUSED]
    met = sum(1 for day in counted if recorded.get(day) == ReportingEvent.Status.REPORTED)
    return met, len(counted)


def release_requests(outcomes: list[str]) -> dict[str, Any]:
    """REP-02 from the outcomes of the period's release requests."""
    total = len(outcomes)
    by = [
        {
            "key": outcome,
            "numerator": outcomes.count(outcome),
            "denominator": total,
            "value": percentage(outcomes.count(outcome), total),
        }
        for outcome in OUTCOMES
    ]
    return {"id": "REP-02", "numerator": total, "denominator": total,
            "value": percentage(total, total), "by": {"outcome": by}}  # fmt: skip


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
    last = min(last, timezone.localdate())  # a day still to come is not yet met nor missed
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
        outcomes = list(
            LiaisonRecord.objects.filter(
                case__organisation=organisation,
                kind=LiaisonRecord.Kind.RELEASE_REQUEST,
                date__gte=first,
                date__lte=_month_bounds(start, end)[1],
            ).values_list("outcome", flat=True)
        )
    met, expected = reporting_days(obligations, events, first, last)
    computed = [
        {"id": "REP-01", "numerator": met, "denominator": expected,
         "value": percentage(met, expected)},
        release_requests(outcomes),
    ]  # fmt: skip
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
