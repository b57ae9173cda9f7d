"""What is due on each case, and the order of a caseload: the rules behind "My caseload", written once.

Each rule gives a DueItem with how many days it is overdue (0 = due today). The caseload is
loaded with a fixed number of queries whatever its size (annotations and prefetches), then the
rules run in Python over the loaded rows.

Every kind of item has a tier, and the caseload is ranked by `rank` (see its docstring and
docs/caseload.md): risk before paperwork, paperwork before waiting, then the most days overdue.

Apps to the right of `cases` add their own rules (the directory: referral follow-ups; liaison:
missed reporting) with `register`, as `audit.labels` lets them name their records: the
caseload, the case list's filter and the case page then show them like the others, without
`cases` importing them. A registered rule declares its tier.
"""

import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from django.db.models import (
    DateField,
    Exists,
    Max,
    Model,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import BaseExpression
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation
from engage.cases.models import (
    Action,
    Assessment,
    Case,
    CasePlan,
    Closure,
    Contact,
    EngagementLevel,
    EngagementRecord,
    InclusionDecision,
    Person,
    ReassessmentRequest,
    Stage,
)
from engage.cases.models.case import OPEN_STAGES
from engage.cases.models.process import ApprovalStatus
from engage.lib.dates import local_date
from engage.lib.scoping import outside_every_scope


class Tier(IntEnum):
    """How much a kind of due item weighs when the caseload is ranked; the lower, the sooner."""

    # The client, the authorities or a service are going quiet: the first signs that a client
    # may abscond or lose their way through the procedure. Act on these first.
    RISK = 1
    # The process's own paperwork is late: assessments, plans, reviews, actions.
    WORK = 2
    # Nothing to do but wait for someone else (a supervisor's approval).
    WAIT = 3


class Due:
    CONTACT = "contact"
    DISENGAGED = "disengaged"
    ASSESSMENT = "assessment"
    PLAN = "plan"
    PLAN_REVIEW = "plan_review"
    ACTIONS = "actions"
    APPROVAL = "approval"

    CHOICES = (
        (CONTACT, _("Contact overdue")),
        (DISENGAGED, _("Client disengaged")),
        (ASSESSMENT, _("Assessment due")),
        (PLAN, _("Case plan needed")),
        (PLAN_REVIEW, _("Plan review due")),
        (ACTIONS, _("Actions past their date")),
        (APPROVAL, _("Waiting for approval")),
    )

    TIERS = {
        CONTACT: Tier.RISK,
        DISENGAGED: Tier.RISK,
        ASSESSMENT: Tier.WORK,
        PLAN: Tier.WORK,
        PLAN_REVIEW: Tier.WORK,
        ACTIONS: Tier.WORK,
        APPROVAL: Tier.WAIT,
    }

    # What a closure waiting for approval makes pointless: the case is about to end.
    REVIEWS = (ASSESSMENT, PLAN, PLAN_REVIEW, ACTIONS)


@dataclass(frozen=True)
class DueItem:
    kind: str
    label: str | Promise
    # Days past the date it was due: 0 = due today. None for a wait, which is never late for
    # the case manager.
    days_overdue: int | None
    # For a state rather than a deadline (a client disengaged): since when. Shown as a date.
    since: datetime.date | None = None

    @property
    def tier(self) -> Tier:
        return tier_of(self.kind)


@dataclass(frozen=True)
class DueRule:
    """A rule added by another app: its tier, its annotations on the case row, and its items."""

    kind: str
    label: str | Promise
    tier: Tier
    facts: Callable[[datetime.date], dict[str, Any]]
    items: Callable[[Case, datetime.date], list[DueItem]]


_RULES: dict[str, DueRule] = {}


def register(rule: DueRule) -> None:
    _RULES[rule.kind] = rule
    facts_of_the_day.cache_clear()  # made again with the rule's facts


def tier_of(kind: str) -> Tier:
    if kind in Due.TIERS:
        return Due.TIERS[kind]
    return _RULES[kind].tier


def due_choices() -> list[tuple[str, str | Promise]]:
    """Every kind of due item with its label, the weightiest tier first."""
    kinds = [*Due.CHOICES, *((rule.kind, rule.label) for rule in _RULES.values())]
    return sorted(kinds, key=lambda choice: tier_of(choice[0]))  # stable within a tier


def lateness(days_overdue: int | None) -> str:
    """Say how late something is, in the one wording used everywhere.

    "overdue by 22 days", "due today", "due in 3 days" (a negative number of days overdue);
    "" when there is no date to be late on.
    """
    if days_overdue is None:
        return ""
    if days_overdue > 0:
        return ngettext("overdue by %(count)d day", "overdue by %(count)d days", days_overdue) % {
            "count": days_overdue
        }
    if days_overdue < 0:
        return ngettext("due in %(count)d day", "due in %(count)d days", -days_overdue) % {
            "count": -days_overdue
        }
    return gettext("due today")


def with_due_facts(
    cases: QuerySet[Case], today: datetime.date, *, approved_plans: bool = True
) -> QuerySet[Case]:
    """Annotate what the due rules need, in the same query as the cases.

    The agreed plans (`approved_plans`, for the review due) come in one more query; a page that
    reads the case's plans with their reviews anyway (the case page) passes
    `approved_plans=False` and calls `attach_approved_plans` once they are read.
    """
    cases = cases.select_related("person", "case_manager", "organisation", "city").annotate(
        **facts_of_the_day(today)
    )
    if not approved_plans:
        return cases
    return cases.prefetch_related(
        Prefetch(
            "plans",
            # What the due rules and the week read of an agreed plan: its id, case and day of
            # agreement, with its last review (not its other columns, grouped for nothing).
            queryset=CasePlan.objects.filter(status=CasePlan.Status.APPROVED)
            .only("id", "case", "approved_at")
            .annotate(last_review_on=Max("reviews__date")),
            to_attr="approved_plans",
        )
    )


@functools.lru_cache(maxsize=4)
def facts_of_the_day(today: datetime.date) -> dict[str, BaseExpression]:
    """The annotations of `with_due_facts` on `today`: the registered rules' (in the order
    they were registered), then the cases' own.

    Made once a day and process, not on every page that shows what is due (the caseload, the
    case list and page, the week, the supervisor's pages): building them was some 6 ms of each
    such page (issue 17). Sharing them is safe because each is bound to the outer case only
    (`OuterRef`), which the page's query reads through the user's scope, and because Django
    resolves a copy of an expression into each query, never the expression itself. They are
    made outside every organisation's scope (`outside_every_scope`): a rule that read its
    records through a scoped manager, whose filter is the reader's organisation, would raise
    there instead of carrying one reader's organisation into the next reader's query.
    """
    pending = ApprovalStatus.PENDING
    facts: dict[str, BaseExpression] = {}
    with outside_every_scope():
        for rule in _RULES.values():
            facts.update(rule.facts(today))
        # Each fact is its own subquery: aggregating over several joined relations at once
        # would multiply the rows (contacts x assessments x actions) for every case.
        facts.update(
            last_contact_on=_latest(case_rows(Contact)),
            last_assessment_on=_latest(case_rows(Assessment)),
            oldest_overdue_action_on=_first(
                correlated_rows(Action).filter(
                    goal__plan__case=OuterRef("pk"),
                    status=Action.Status.OPEN,
                    due_date__lt=today,
                ),
                "due_date",
            ),
            has_plan=Exists(case_rows(CasePlan)),
            reassessment_requested_at=_first(
                case_rows(ReassessmentRequest).filter(fulfilled_by__isnull=True), "requested_at"
            ),
            inclusion_pending=Exists(case_rows(InclusionDecision).filter(status=pending)),
            plan_pending=Exists(case_rows(CasePlan).filter(status=pending)),
            closure_pending=Exists(case_rows(Closure).filter(status=pending)),
            disengaged_since=_disengaged_since(),
        )
    return facts


def attach_approved_plans(case: Case) -> None:
    """Give `case` the `approved_plans` of `with_due_facts` from its plans and their reviews as
    already read (`prefetch_related("plans__reviews")`), without reading them again."""
    case.approved_plans = [  # type: ignore[attr-defined]
        plan for plan in case.plans.all() if plan.status == CasePlan.Status.APPROVED
    ]
    for plan in case.approved_plans:  # type: ignore[attr-defined]
        plan.last_review_on = max(  # type: ignore[attr-defined]
            (review.date for review in plan.reviews.all()), default=None
        )


def correlated_rows(model: type[Model]) -> QuerySet:
    """The records of `model` for a subquery bound to the outer case (`OuterRef("pk")`): the
    facts of this module's rules and of the rules other apps register (`DueRule.facts`).

    The outer query starts from `Case.objects.visible_to(user)`, so each subquery reads only
    the records of a case the user may see already. Through the scoped manager it would join
    the case again and filter it by the organisation, and on PostgreSQL that made the planner
    hash every record of the organisation (its plans, decisions, closures) once per subquery
    instead of reading a few rows of each case by index: the case list's time grew with the
    organisation, not with the caseload (issue 17).
    """
    return model._base_manager.all()


def case_rows(model: type[Model]) -> QuerySet:
    """The records of `model` of the outer case (`correlated_rows`)."""
    return correlated_rows(model).filter(case=OuterRef("pk"))


def _latest(dated: QuerySet) -> Subquery:
    return Subquery(dated.order_by("-date").values("date")[:1])


def _first(rows: QuerySet, field: str) -> Subquery:
    return Subquery(rows.order_by(field).values(field)[:1])


def _disengaged_since() -> Subquery:
    """The first day of the client's latest run of "disengaged" engagement records."""
    records = correlated_rows(EngagementRecord).filter(case=OuterRef(OuterRef("pk")))
    last_engaged_on = records.exclude(level=EngagementLevel.DISENGAGED).order_by("-date")
    run = case_rows(EngagementRecord).filter(
        level=EngagementLevel.DISENGAGED,
        date__gte=Coalesce(
            Subquery(last_engaged_on.values("date")[:1]),
            Value(datetime.date.min),
            output_field=DateField(),
        ),
    )
    return _first(run, "date")


def next_contact_on(case: Case) -> datetime.date | None:
    """Return the day the next contact is due on an open case (annotated by `with_due_facts`)."""
    if not case.is_open:
        return None
    since = case.last_contact_on or case.referral_date
    return since + datetime.timedelta(days=case.contact_interval)


def reassessment_due_on(case: Case) -> datetime.date | None:
    """Return the day the periodic reassessment falls due (None before the first assessment).

    `case` is annotated by `with_due_facts`; the agenda shows the days still to come.
    """
    if case.last_assessment_on is None:
        return None
    interval = case.organisation.reassessment_interval_days
    return case.last_assessment_on + datetime.timedelta(days=interval)


def plan_review_due_on(plan: CasePlan, organisation: Organisation) -> datetime.date:
    """Return the day an agreed plan (from `with_due_facts`' `approved_plans`) is due a review."""
    # The day it was agreed where the organisation works: its UTC date is the day before for
    # a plan agreed after midnight in Sofia, and the review fell due a day early.
    approved_on = local_date(plan.approved_at, organisation.time_zone)
    last = max(filter(None, [plan.last_review_on, approved_on]))
    return last + datetime.timedelta(days=organisation.plan_review_interval_days)


def due_items(case: Case, today: datetime.date) -> list[DueItem]:
    """Return what is due on `case` (annotated by `with_due_facts`), the weightiest first."""
    if not case.is_open:
        return []
    settings: Organisation = case.organisation
    items: list[DueItem] = []

    contact_due_on = next_contact_on(case)
    if contact_due_on < today:
        items.append(DueItem(Due.CONTACT, _("Contact due"), (today - contact_due_on).days))

    if case.engagement_level == EngagementLevel.DISENGAGED:
        # A state, not a deadline: to act on now (0 days), shown with since when. Counting the
        # days since would put a long-standing disengagement, with the client seen yesterday,
        # above a client nobody has seen for weeks.
        items.append(
            DueItem(Due.DISENGAGED, _("Client disengaged"), 0, since=case.disengaged_since)
        )

    if case.in_programme:
        if case.last_assessment_on is None:
            items.append(
                DueItem(
                    Due.ASSESSMENT, _("First assessment due"), _days(today, case.inclusion_date)
                )
            )
        elif case.reassessment_requested_at is not None:
            requested_on = timezone.localdate(case.reassessment_requested_at)
            items.append(
                DueItem(Due.ASSESSMENT, _("Reassessment requested"), _days(today, requested_on))
            )
        else:
            due_on = reassessment_due_on(case)
            if due_on is not None and due_on <= today:
                items.append(DueItem(Due.ASSESSMENT, _("Reassessment due"), (today - due_on).days))

        if not case.has_plan:
            items.append(
                DueItem(Due.PLAN, _("Case plan needed"), _days(today, case.inclusion_date))
            )
        for plan in case.approved_plans:
            due_on = plan_review_due_on(plan, settings)
            if due_on <= today:
                items.append(DueItem(Due.PLAN_REVIEW, _("Plan review due"), (today - due_on).days))
                break

        if case.oldest_overdue_action_on is not None:
            items.append(
                DueItem(
                    Due.ACTIONS,
                    _("Actions past their date"),
                    (today - case.oldest_overdue_action_on).days,
                )
            )

    if case.closure_pending:
        # Closing: nothing to review or plan any more, only to wait for the supervisor.
        items = [item for item in items if item.kind not in Due.REVIEWS]
    if case.inclusion_pending or case.plan_pending or case.closure_pending:
        items.append(DueItem(Due.APPROVAL, _("Waiting for approval"), None))
    for rule in _RULES.values():
        items.extend(rule.items(case, today))
    return sorted(items, key=lambda item: (item.tier, -(item.days_overdue or 0)))


def _days(today: datetime.date, since: datetime.date | None) -> int:
    return max((today - since).days, 0) if since else 0


def rank(items: list[DueItem]) -> tuple[int, int, int]:
    """Sort key of a case by what is due on it: the one rule that orders every caseload.

    1. The weightiest tier present comes first: a case with any risk item (contact overdue,
       client disengaged, missed reporting, a referral or an authority gone quiet) before a case
       with only paperwork (assessment, plan, plan review, actions), before a case that only
       waits for approval, before a case with nothing due.
    2. Within that tier, the most days overdue among the case's items of that tier.
    3. Then the case with more items due in all.

    So a client 3 days past their contact comes before a plan review 80 days late: the review
    can wait a day, losing touch with the client cannot. Callers break the remaining ties by
    the oldest referral.
    """
    if not items:
        return (len(Tier) + 1, 0, 0)
    top = min(item.tier for item in items)
    worst = max((item.days_overdue or 0) for item in items if item.tier == top)
    return (top, -worst, -len(items))


@dataclass
class CaseloadRow:
    case: Case
    due: list[DueItem]
    next_contact_on: datetime.date | None
    # Days the next contact is overdue (negative: due in that many days); None if closed.
    next_contact_overdue: int | None


def listed(cases: QuerySet[Case], *, names: bool = True) -> QuerySet[Case]:
    """`cases` (read with their person) as a list shows them: the client's name only.

    The caseload, the case list and the week show who each client is by name; the rest of the
    person (date of birth, phone, address, document number...) stays encrypted in the database
    instead of being decrypted for every row and shown nowhere. Without `names` (the
    supervisor's overview of the teams, which shows counts) no person, case manager or city is
    read at all, only the organisation whose settings the due rules read: a supervisor's teams
    hold hundreds of open cases, and each related row read is a model built for nothing
    (a row's `case_manager_id` says whose it is). A field left here and read later costs a
    query a row: the pages' query budgets would show it.
    """
    if not names:
        return cases.select_related(None).select_related("organisation")
    kept = {"id", "given_name", "family_name"}
    return cases.defer(
        *(
            f"person__{field.name}"
            for field in Person._meta.concrete_fields
            if field.name not in kept
        )
    )


def caseload_rows(
    cases: QuerySet[Case], today: datetime.date, *, names: bool = True
) -> list[CaseloadRow]:
    """Return a row for each of `cases` with what is due, in the queryset's order (`listed`)."""
    return rows_of(listed(with_due_facts(cases, today), names=names), today)


def rows_of(cases: Iterable[Case], today: datetime.date) -> list[CaseloadRow]:
    """A row for each of `cases`, read with their due facts (`with_due_facts`): a page of them."""
    rows = []
    for case in cases:
        due_on = next_contact_on(case)
        overdue = (today - due_on).days if due_on else None
        rows.append(CaseloadRow(case, due_items(case, today), due_on, overdue))
    return rows


def caseload(
    cases: QuerySet[Case], today: datetime.date, *, names: bool = True
) -> list[CaseloadRow]:
    """Return the open cases with what is due, ranked by `rank` (`listed`, with or without
    the clients' `names`)."""
    rows = caseload_rows(cases.filter(stage__in=OPEN_STAGES), today, names=names)
    rows.sort(key=lambda row: (*rank(row.due), row.case.referral_date))
    return rows


# The columns a caseload can be sorted by, with `?sort=<name>`, or `-<name>` for the reverse.
# "due" is the ranking rule; ties are always broken by it.
_STAGE_ORDER = {stage: n for n, stage in enumerate(Stage.values)}
SORTS: dict[str, Callable[[CaseloadRow], Any]] = {
    "due": lambda row: (*rank(row.due), row.case.referral_date),
    # The longest without contact first; never contacted before anyone.
    "last_contact": lambda row: row.case.last_contact_on or datetime.date.min,
    # The most overdue first; closed cases (no next contact) last.
    "next_contact": lambda row: row.next_contact_on or datetime.date.max,
    # In the order of the process: new referrals first.
    "stage": lambda row: _STAGE_ORDER[row.case.stage],
}
DEFAULT_SORT = "due"


def sort_rows(rows: list[CaseloadRow], sort: str) -> str:
    """Sort `rows` in place by `sort` (a name of SORTS, `-` for the reverse); return the sort used.

    An unknown sort falls back to the ranking rule, so a hand-edited address never fails.
    """
    name = sort.removeprefix("-")
    if name not in SORTS:
        sort = name = DEFAULT_SORT
    rows.sort(key=SORTS[DEFAULT_SORT])
    if name != DEFAULT_SORT or sort.startswith("-"):
        rows.sort(key=SORTS[name], reverse=sort.startswith("-"))  # stable: ties keep the rank
    return sort


def sort_by_kind(rows: list[CaseloadRow], kind: str) -> None:
    """Sort `rows` in place by how overdue their item of `kind` is, the most first; then by rank."""

    def overdue(row: CaseloadRow) -> int:
        return max(((item.days_overdue or 0) for item in row.due if item.kind == kind), default=-1)

    rows.sort(key=SORTS[DEFAULT_SORT])
    rows.sort(key=overdue, reverse=True)


def due_counts(rows: list[CaseloadRow]) -> dict[str, int]:
    """Return how many cases have each kind of due item."""
    counts = dict.fromkeys((kind for kind, _label in due_choices()), 0)
    for row in rows:
        for kind in {item.kind for item in row.due}:
            counts[kind] += 1
    return counts
