"""My week: what is coming up on a caseload in the next days, not only what is late.

`upcoming(cases, today)` gathers, for each day from today on, the appointments, the plan actions
due, the expected reporting days, the reassessments and plan reviews falling due, the next
contacts due, and the follow-ups of referrals and of liaison with the authorities. The dates
come from the rules that already compute them (`cases.due`, `liaison.schedule`, the
directory's follow-up delay), so the week and the caseload never disagree.

A fixed number of queries whatever the size of the caseload: the cases with their due facts
(`cases.due.with_due_facts`, one query and one prefetch), then one query per kind of record.
"""

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict, TypeGuard, cast
from uuid import UUID

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from engage.cases import due
from engage.cases.models import Action, Appointment, Case, CasePlan
from engage.cases.models.case import CaseQuerySet
from engage.directory.models import FOLLOW_UP_DAYS, Referral
from engage.liaison import schedule
from engage.liaison.models import LiaisonRecord, ReportingObligation

DAYS = 14


class _DueFacts(TypedDict):
    """What `cases.due.with_due_facts` adds to each case that the week reads."""

    closure_pending: bool
    reassessment_requested_at: datetime.datetime | None
    approved_plans: list[CasePlan]


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    DueCase = WithAnnotations[Case, _DueFacts]


class Kind:
    APPOINTMENT = "appointment"
    CONTACT = "contact"
    ACTION = "action"
    REPORTING = "reporting"
    ASSESSMENT = "assessment"
    PLAN_REVIEW = "plan_review"
    REFERRAL = "referral"
    LIAISON = "liaison"

    # The order of a day after its appointments: what involves the client first.
    ORDER = (APPOINTMENT, REPORTING, CONTACT, ACTION, REFERRAL, LIAISON, ASSESSMENT, PLAN_REVIEW)


@dataclass(frozen=True)
class Item:
    day: datetime.date
    kind: str
    label: str | Promise
    case: Case
    url: str
    time: datetime.time | None = None
    # Text from the case file (a place, an action, a service): shown on the page only to the
    # people who work on the case, never in the calendar feed.
    detail: str = ""


@dataclass
class Day:
    day: datetime.date
    items: list[Item] = field(default_factory=list)


@dataclass
class Week:
    first: datetime.date
    last: datetime.date
    days: list[Day]
    cases: Sequence[Case]
    # Open cases with something already late: those are on the caseload.
    late: int


def upcoming(cases: CaseQuerySet, today: datetime.date, days: int = DAYS) -> Week:
    """Return what falls due on the open `cases` from `today` to `days - 1` days later."""
    last = today + datetime.timedelta(days=days - 1)
    loaded = list(with_week_facts(cases, today))
    by_id = {case.pk: case for case in loaded}
    items: list[Item] = []
    for case in loaded:
        items += _case_items(case, today, last)
    items += _appointments(by_id, today, last)
    items += _actions(by_id, today, last)
    items += _reporting_days(by_id, today, last)
    items += _referrals(by_id, today, last)
    items += _liaison(by_id, today, last)
    return Week(
        first=today,
        last=last,
        days=_by_day(items, today),
        cases=loaded,
        late=sum(1 for case in loaded if any(i.days_overdue for i in due.due_items(case, today))),
    )


def with_week_facts(cases: CaseQuerySet, today: datetime.date) -> "QuerySet[DueCase]":
    # The facts are annotations, which `with_due_facts`' type does not say.
    # The week shows each client by name (`due.listed`).
    return cast(
        "QuerySet[DueCase]",
        due.listed(due.with_due_facts(cases.open(), today)).order_by("reference"),
    )


def _by_day(items: list[Item], today: datetime.date) -> list[Day]:
    """The days with something on them, today first (even when nothing is)."""
    grouped: dict[datetime.date, list[Item]] = defaultdict(list)
    grouped[today] = []
    for item in items:
        grouped[item.day].append(item)
    order = {kind: n for n, kind in enumerate(Kind.ORDER)}
    return [
        Day(
            day,
            sorted(
                grouped[day],
                key=lambda i: (
                    order[i.kind],
                    i.time is not None,
                    i.time or datetime.time.min,
                    i.case.reference,
                ),
            ),
        )
        for day in sorted(grouped)
    ]


def _in(
    day: datetime.date | None, first: datetime.date, last: datetime.date
) -> TypeGuard[datetime.date]:
    return day is not None and first <= day <= last


def _case_items(case: "DueCase", first: datetime.date, last: datetime.date) -> list[Item]:
    """The next contact due, and the reassessment and plan reviews falling due in the days."""
    url = case.get_absolute_url()
    items: list[Item] = []
    contact_on = due.next_contact_on(case)
    if _in(contact_on, first, last):
        items.append(Item(contact_on, Kind.CONTACT, _("Contact due"), case, url))
    if not case.in_programme or case.closure_pending:
        return items
    assessment_on = due.reassessment_due_on(case)
    if _in(assessment_on, first, last) and case.reassessment_requested_at is None:
        items.append(Item(assessment_on, Kind.ASSESSMENT, _("Reassessment due"), case, url))
    for plan in case.approved_plans:
        review_on = due.plan_review_due_on(plan, case.organisation)
        if _in(review_on, first, last):
            plan_url = reverse("cases:plan_detail", args=[plan.pk])
            items.append(Item(review_on, Kind.PLAN_REVIEW, _("Plan review due"), case, plan_url))
    return items


def _appointments(
    by_id: Mapping[UUID, Case], first: datetime.date, last: datetime.date
) -> list[Item]:
    rows = Appointment.objects.filter(case_id__in=by_id).planned().between(first, last)
    return [
        Item(
            row.date,
            Kind.APPOINTMENT,
            row.get_kind_display(),
            by_id[row.case_id],
            reverse("cases:appointment_edit", args=[row.pk]),
            time=row.time,
            detail=row.place,
        )
        for row in rows
    ]


def _actions(by_id: Mapping[UUID, Case], first: datetime.date, last: datetime.date) -> list[Item]:
    rows = Action.objects.filter(
        goal__plan__case_id__in=by_id,
        status=Action.Status.OPEN,
        due_date__gte=first,
        due_date__lte=last,
    ).annotate(case_id=F("goal__plan__case_id"), plan_id=F("goal__plan_id"))
    return [
        Item(
            row.due_date,
            Kind.ACTION,
            _("Plan action due"),
            by_id[row.case_id],
            reverse("cases:plan_detail", args=[row.plan_id]),
            detail=row.description,
        )
        for row in rows
    ]


def _reporting_days(
    by_id: Mapping[UUID, Case], first: datetime.date, last: datetime.date
) -> list[Item]:
    """The expected reporting days not yet recorded (from the obligation's next one due)."""
    obligations = ReportingObligation.objects.filter(
        case_id__in=by_id, next_due_on__isnull=False, next_due_on__lte=last
    )
    items: list[Item] = []
    for obligation in obligations:
        if obligation.next_due_on is None:  # left out by the query
            continue
        days = schedule.expected_days(
            obligation.start_date,
            obligation.frequency,
            obligation.interval_days,
            obligation.end_date,
            last,
        )
        for day in days:
            if day >= max(first, obligation.next_due_on):
                items.append(
                    Item(
                        day,
                        Kind.REPORTING,
                        _("Reporting day"),
                        by_id[obligation.case_id],
                        obligation.get_absolute_url(),
                        detail=obligation.place,
                    )
                )
    return items


def _referrals(by_id: Mapping[UUID, Case], first: datetime.date, last: datetime.date) -> list[Item]:
    """Referrals still waiting whose follow-up day (no news for a while) falls in the days."""
    rows = Referral.objects.filter(case_id__in=by_id, status__in=Referral.WAITING).select_related(
        "service"
    )
    items: list[Item] = []
    for row in rows:
        follow_up_on = row.last_news_on + datetime.timedelta(days=FOLLOW_UP_DAYS + 1)
        if _in(follow_up_on, first, last):
            items.append(
                Item(
                    follow_up_on,
                    Kind.REFERRAL,
                    _("Referral follow-up"),
                    by_id[row.case_id],
                    row.get_absolute_url(),
                    detail=row.service.name,
                )
            )
    return items


def _liaison(by_id: Mapping[UUID, Case], first: datetime.date, last: datetime.date) -> list[Item]:
    rows = LiaisonRecord.objects.filter(
        case_id__in=by_id,
        outcome=LiaisonRecord.Outcome.PENDING,
        follow_up_on__gte=first,
        follow_up_on__lte=last,
    )
    return [
        Item(
            row.follow_up_on,
            Kind.LIAISON,
            _("Answer from an authority to chase"),
            by_id[row.case_id],
            row.get_absolute_url(),
        )
        for row in rows
        if row.follow_up_on is not None  # always: the query asks for a day
    ]
