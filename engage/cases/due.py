"""What is due on each case: the rules behind "My caseload", written once.

Each rule gives a DueItem with how many days it is overdue (0 = due today). The caseload is
loaded with a fixed number of queries whatever its size (annotations and prefetches), then the
rules run in Python over the loaded rows.

Apps to the right of `cases` add their own rules (the directory: referral follow-ups) with
`register`, as `audit.labels` lets them name their records: the caseload, the case list's
filter and the case page then show them like the others, without `cases` importing them.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation
from engage.cases.models import (
    Action,
    Assessment,
    Case,
    CasePlan,
    Closure,
    Contact,
    InclusionDecision,
    ReassessmentRequest,
)
from engage.cases.models.case import OPEN_STAGES
from engage.cases.models.process import ApprovalStatus


class Due:
    CONTACT = "contact"
    ASSESSMENT = "assessment"
    PLAN = "plan"
    PLAN_REVIEW = "plan_review"
    ACTIONS = "actions"
    APPROVAL = "approval"

    CHOICES = (
        (CONTACT, _("Contact overdue")),
        (ASSESSMENT, _("Assessment due")),
        (PLAN, _("Case plan needed")),
        (PLAN_REVIEW, _("Plan review due")),
        (ACTIONS, _("Actions past their date")),
        (APPROVAL, _("Waiting for approval")),
    )


@dataclass(frozen=True)
class DueItem:
    kind: str
    label: str | Promise
    days_overdue: int


@dataclass(frozen=True)
class DueRule:
    """A rule added by another app: its annotations on the case row, and the items they give."""

    kind: str
    label: str | Promise
    facts: Callable[[datetime.date], dict[str, Any]]
    items: Callable[[Case, datetime.date], list[DueItem]]


_RULES: dict[str, DueRule] = {}


def register(rule: DueRule) -> None:
    _RULES[rule.kind] = rule


def due_choices() -> list[tuple[str, str | Promise]]:
    """Every kind of due item, with its label: the rules here, then the registered ones."""
    return [*Due.CHOICES, *((rule.kind, rule.label) for rule in _RULES.values())]


def with_due_facts(cases: QuerySet[Case], today: datetime.date) -> QuerySet[Case]:
    """Annotate what the due rules need, in the same query as the cases."""
    pending = ApprovalStatus.PENDING
    for rule in _RULES.values():
        cases = cases.annotate(**rule.facts(today))
    return (
        cases.select_related("person", "case_manager", "organisation", "city")
        .annotate(
            # Each fact is its own subquery: aggregating over several joined relations at
            # once would multiply the rows (contacts x assessments x actions) for every case.
            last_contact_on=_latest(Contact.objects.filter(case=OuterRef("pk"))),
            last_assessment_on=_latest(Assessment.objects.filter(case=OuterRef("pk"))),
            has_overdue_actions=Exists(
                Action.objects.filter(
                    goal__plan__case=OuterRef("pk"), status=Action.Status.OPEN, due_date__lt=today
                )
            ),
            has_plan=Exists(CasePlan.objects.filter(case=OuterRef("pk"))),
            reassessment_requested=Exists(
                ReassessmentRequest.objects.filter(case=OuterRef("pk"), fulfilled_by__isnull=True)
            ),
            inclusion_pending=Exists(
                InclusionDecision.objects.filter(case=OuterRef("pk"), status=pending)
            ),
            plan_pending=Exists(CasePlan.objects.filter(case=OuterRef("pk"), status=pending)),
            closure_pending=Exists(Closure.objects.filter(case=OuterRef("pk"), status=pending)),
        )
        .prefetch_related(
            Prefetch(
                "plans",
                queryset=CasePlan.objects.filter(status=CasePlan.Status.APPROVED).annotate(
                    last_review_on=Max("reviews__date")
                ),
                to_attr="approved_plans",
            )
        )
    )


def _latest(dated: QuerySet) -> Subquery:
    return Subquery(dated.order_by("-date").values("date")[:1])


def due_items(case: Case, today: datetime.date) -> list[DueItem]:
    """Return what is due on `case` (annotated by `with_due_facts`), most overdue first."""
    if not case.is_open:
        return []
    settings: Organisation = case.organisation
    items: list[DueItem] = []

    since_contact = (today - (case.last_contact_on or case.referral_date)).days
    if since_contact > settings.contact_interval_days:
        items.append(
            DueItem(
                Due.CONTACT, _("Contact overdue"), since_contact - settings.contact_interval_days
            )
        )

    if case.in_programme:
        if case.last_assessment_on is None:
            items.append(
                DueItem(
                    Due.ASSESSMENT, _("First assessment due"), _days(today, case.inclusion_date)
                )
            )
        elif case.reassessment_requested:
            items.append(DueItem(Due.ASSESSMENT, _("Reassessment requested"), 0))
        else:
            due_on = case.last_assessment_on + datetime.timedelta(
                days=settings.reassessment_interval_days
            )
            if due_on <= today:
                items.append(DueItem(Due.ASSESSMENT, _("Reassessment due"), (today - due_on).days))

        if not case.has_plan:
            items.append(
                DueItem(Due.PLAN, _("Case plan needed"), _days(today, case.inclusion_date))
            )
        for plan in case.approved_plans:
            last = max(filter(None, [plan.last_review_on, plan.approved_at.date()]))
            due_on = last + datetime.timedelta(days=settings.plan_review_interval_days)
            if due_on <= today:
                items.append(DueItem(Due.PLAN_REVIEW, _("Plan review due"), (today - due_on).days))
                break

        if case.has_overdue_actions:
            items.append(DueItem(Due.ACTIONS, _("Actions past their date"), 0))

    if case.inclusion_pending or case.plan_pending or case.closure_pending:
        items.append(DueItem(Due.APPROVAL, _("Waiting for approval"), 0))
    for rule in _RULES.values():
        items.extend(rule.items(case, today))
    return sorted(items, key=lambda item: -item.days_overdue)


def _days(today: datetime.date, since: datetime.date | None) -> int:
    return max((today - since).days, 0) if since else 0


def urgency(items: list[DueItem]) -> tuple[int, int]:
    """Sort key: most overdue first, then most items."""
    return (-max((item.days_overdue for item in items), default=-1), -len(items))


@dataclass
class CaseloadRow:
    case: Case
    due: list[DueItem]


def caseload(cases: QuerySet[Case], today: datetime.date) -> list[CaseloadRow]:
    """Return the open cases with what is due, the most urgent first."""
    rows = [
        CaseloadRow(case, due_items(case, today))
        for case in with_due_facts(cases.filter(stage__in=OPEN_STAGES), today)
    ]
    rows.sort(key=lambda row: (*urgency(row.due), row.case.referral_date))
    return rows


def due_counts(rows: list[CaseloadRow]) -> dict[str, int]:
    """Return how many cases have each kind of due item."""
    counts = dict.fromkeys((kind for kind, _label in due_choices()), 0)
    for row in rows:
        for kind in {item.kind for item in row.due}:
            counts[kind] += 1
    return counts
