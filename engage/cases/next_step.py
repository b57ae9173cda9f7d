"""What's next on a case, derived from what the case's records say: one rule for the case page.

`next_step(case, user)` reads the case's real state (its stage, the first meeting and its
consent, the screening, the decisions waiting for or sent back by a supervisor, assessments,
plans, and what is due) and returns the one step that comes next, with the page it is done on.
The case page's main button follows it.

The order, first match wins:

1. A declined or closed case: it can be reopened as a new enrollment.
2. A closure waiting for approval: nothing to do but wait (the supervisor reviews it).
3. Before inclusion, the process in order: the first meeting; the client's consent if the first
   meeting was recorded without it; an inclusion decision sent back (act on the note), or one
   waiting for approval; the screening; proposing the inclusion decision.
4. In the programme, risk before paperwork (as the caseload ranks, docs/caseload.md): a client
   out of contact first; then what a supervisor sent back; the first assessment; a case plan
   after the first assessment, until a supervisor approves the first one; then a reassessment,
   a plan review or actions past their date when due; otherwise, regular contact.

The people who do not work in cases (an organisation admin) are told the step, without a button.
"""

import datetime
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Role, User
from engage.cases import workflow
from engage.cases.access import CASE_WORKERS
from engage.cases.due import Due, DueItem, due_items, lateness, with_due_facts
from engage.cases.models import (
    Assessment,
    Case,
    CasePlan,
    Closure,
    InclusionDecision,
    Screening,
    Stage,
)
from engage.cases.models.process import ApprovalStatus, FirstMeeting
from engage.cases.sent_back import CLOSURE, INCLUSION, PLAN, SentBack, sent_back_on


class Kind:
    """The states `next_step` tells apart (stable codes, for tests and the page)."""

    REOPEN = "reopen"
    REOPENED = "reopened"
    DECLINED = "declined"
    CLOSURE_PENDING = "closure_pending"
    FIRST_MEETING = "first_meeting"
    CONSENT_MISSING = "consent_missing"
    INCLUSION_SENT_BACK = "inclusion_sent_back"
    INCLUSION_PENDING = "inclusion_pending"
    SCREENING = "screening"
    PROPOSE_INCLUSION = "propose_inclusion"
    CONTACT_OVERDUE = "contact_overdue"
    PLAN_SENT_BACK = "plan_sent_back"
    CLOSURE_SENT_BACK = "closure_sent_back"
    FIRST_ASSESSMENT = "first_assessment"
    PLAN_NEEDED = "plan_needed"
    PLAN_DRAFT = "plan_draft"
    PLAN_PENDING = "plan_pending"
    REASSESSMENT = "reassessment"
    PLAN_REVIEW = "plan_review"
    ACTIONS = "actions"
    KEEP_IN_CONTACT = "keep_in_contact"
    ERASED = "erased"


@dataclass(frozen=True)
class NextStep:
    """The step that comes next on a case."""

    kind: str
    reason: str | Promise  # one sentence: what the case needs now, and why
    # The main button's text; "" when there is nothing to press (waiting for a supervisor, or
    # a choice offered beside a supervisor's note).
    label: str | Promise = ""
    url: str = ""  # where the button leads
    # The workflow step the button opens (`workflow.STEPS`), so the page does not offer it twice.
    step: str = ""


def next_step(
    case: Case,
    user: User,
    *,
    due: list[DueItem] | None = None,
    sent_back: list[SentBack] | None = None,
    today: datetime.date | None = None,
) -> NextStep:
    """Return what comes next on `case` for `user`.

    `due` is what is due on the case (`due.due_items`) and `sent_back` what a supervisor sent
    back (`sent_back.sent_back_on`), when the caller has them already; else they are worked
    out here (one query each at most). The case's records are read through its related
    managers, so a case loaded with `timeline.prefetch_for_timeline` costs no further query.
    """
    if sent_back is None and case.is_open:
        sent_back = sent_back_on(case)
    step = _derive(case, user, due, sent_back or [], today)
    if user.role not in CASE_WORKERS:
        return NextStep(step.kind, step.reason)
    return step


def _derive(
    case: Case,
    user: User,
    due: list[DueItem] | None,
    sent_back: list[SentBack],
    today: datetime.date | None,
) -> NextStep:
    if case.stage in (Stage.DECLINED, Stage.CLOSED):
        return _ended(case)
    closures = list(case.closures.all())
    pending_closure = _pending(closures)
    if pending_closure is not None:
        return _waiting(
            Kind.CLOSURE_PENDING,
            _("Closure is waiting for a supervisor's approval: nothing to do but wait."),
            _("Review the closure"),
            reverse("cases:closure_review", args=[pending_closure.pk]),
            user,
            pending_closure.requested_by_id,
        )
    if workflow.person_erased(case):
        return _erased(case)
    if not case.in_programme:
        return _before_inclusion(case, user, sent_back)
    if due is None:
        today = today or timezone.localdate()
        due = due_items(with_due_facts(Case.objects.filter(pk=case.pk), today).get(), today)
    return _in_programme(case, user, due, sent_back)


def _erased(case: Case) -> NextStep:
    """The person's data was erased: only ending the case is left (`workflow.AFTER_ERASURE`),
    so the page offers that, not a contact it would refuse."""
    if case.in_programme:
        return NextStep(
            Kind.ERASED,
            _("This person's data was erased: close the case."),
            _("Close the case"),
            reverse("cases:closure", args=[case.pk]),
            step="close",
        )
    return NextStep(
        Kind.ERASED,
        _("This person's data was erased: decline the referral."),
        _("Decline the referral"),
        reverse("cases:inclusion", args=[case.pk]),
        step="decide_inclusion",
    )


def _ended(case: Case) -> NextStep:
    if case.stage == Stage.DECLINED:
        reason = _("This referral was declined. It can be reopened as a new enrollment.")
    else:
        reason = _("This case is closed. It can be reopened as a new enrollment.")
    if Case.objects.filter(previous=case).exists():
        return NextStep(Kind.REOPENED, _("This case was reopened as a new enrollment."))
    if workflow.person_erased(case):  # a reopening would be refused
        return NextStep(Kind.ERASED, _("This case is closed, and the person's data was erased."))
    return NextStep(
        Kind.REOPEN if case.stage == Stage.CLOSED else Kind.DECLINED,
        reason,
        _("Reopen as a new enrollment"),
        reverse("cases:reopen", args=[case.pk]),
        "reopen",
    )


def _before_inclusion(case: Case, user: User, sent_back: list[SentBack]) -> NextStep:
    # A decision sent back or waiting comes first: declining can be proposed before any meeting.
    if (entry := _find(sent_back, INCLUSION)) is not None:
        return _act_on(Kind.INCLUSION_SENT_BACK, entry, step="decide_inclusion")
    pending = _pending(list(case.inclusion_decisions.all()))
    if pending is not None:
        return _waiting(
            Kind.INCLUSION_PENDING,
            _("Inclusion is waiting for a supervisor's approval.")
            if pending.include
            else _("Declining is waiting for a supervisor's approval."),
            _("Review the inclusion decision"),
            reverse("cases:inclusion_review", args=[pending.pk]),
            user,
            pending.proposed_by_id,
        )
    meeting: FirstMeeting | None = getattr(case, "first_meeting", None)
    if case.stage == Stage.REFERRED and meeting is None:
        return NextStep(
            Kind.FIRST_MEETING,
            _("Record the first meeting: explain the programme and record consent."),
            _("Record the first meeting"),
            reverse("cases:first_meeting", args=[case.pk]),
            "first_meeting",
        )
    if case.stage == Stage.REFERRED:  # the first meeting is recorded, without consent
        return NextStep(
            Kind.CONSENT_MISSING,
            _(
                "The first meeting was recorded without the client's consent: record it once "
                "given, or propose declining the referral."
            ),
            _("Record consent"),
            reverse("cases:first_meeting", args=[case.pk]),
            "first_meeting",
        )
    screening: Screening | None = getattr(case, "screening", None)
    if screening is None:
        return NextStep(
            Kind.SCREENING,
            _("Complete the screening, then propose the inclusion decision."),
            _("Record the screening"),
            reverse("cases:screening", args=[case.pk]),
            "screening",
        )
    return NextStep(
        Kind.PROPOSE_INCLUSION,
        _("The screening is done: propose the inclusion decision against the pilot's criteria."),
        _("Propose the inclusion decision"),
        reverse("cases:inclusion", args=[case.pk]),
        "decide_inclusion",
    )


def _in_programme(
    case: Case, user: User, due: list[DueItem], sent_back: list[SentBack]
) -> NextStep:
    by_kind = {item.kind: item for item in due}
    contact_url = reverse("cases:contact_create", args=[case.pk])
    if contact := by_kind.get(Due.CONTACT):
        return NextStep(
            Kind.CONTACT_OVERDUE,
            _("Contact is overdue (%(late)s): a client out of contact comes first.")
            % {"late": lateness(contact.days_overdue)},
            _("Log a contact"),
            contact_url,
            "contact",
        )
    if (entry := _find(sent_back, PLAN)) is not None:
        return _act_on(Kind.PLAN_SENT_BACK, entry)
    if _find(sent_back, CLOSURE) is not None:
        # Two ways to act, both beside the note on the case page: ask again, or keep it open.
        return NextStep(
            Kind.CLOSURE_SENT_BACK,
            _("Ask again to close the case, or keep it open, as the note says."),
            step="close",
        )
    assessments: list[Assessment] = list(case.assessments.all())
    if not assessments:
        return NextStep(
            Kind.FIRST_ASSESSMENT,
            _("Assess the client: needs, vulnerabilities, risks and strengths, and the ratings."),
            _("Record the first assessment"),
            reverse("cases:assessment_create", args=[case.pk]),
            "assess",
        )
    plans: list[CasePlan] = list(case.plans.all())
    if not any(plan.status == CasePlan.Status.APPROVED for plan in plans):
        if pending := _pending(plans):
            return _waiting(
                Kind.PLAN_PENDING,
                _("The case plan is waiting for a supervisor's approval."),
                _("Review the case plan"),
                reverse("cases:plan_detail", args=[pending.pk]),
                user,
                pending.created_by_id,
            )
        draft = next((plan for plan in plans if plan.status == CasePlan.Status.DRAFT), None)
        if draft is not None:
            return NextStep(
                Kind.PLAN_DRAFT,
                _("Finish the case plan with the client and send it for approval."),
                _("Finish the case plan"),
                reverse("cases:plan_detail", args=[draft.pk]),
            )
        return NextStep(
            Kind.PLAN_NEEDED,
            _("The first assessment is done: agree a case plan with the client."),
            _("Make a case plan"),
            reverse("cases:plan_create", args=[case.pk]),
            "plan",
        )
    if item := by_kind.get(Due.ASSESSMENT):
        return NextStep(
            Kind.REASSESSMENT,
            _("Situations change: reassess the client's needs, risks and strengths (%(late)s).")
            % {"late": lateness(item.days_overdue)},
            _("Reassess"),
            reverse("cases:assessment_create", args=[case.pk]),
            "assess",
        )
    if item := by_kind.get(Due.PLAN_REVIEW):
        plan = next(plan for plan in plans if plan.status == CasePlan.Status.APPROVED)
        return NextStep(
            Kind.PLAN_REVIEW,
            _("The case plan is due for review with the client (%(late)s).")
            % {"late": lateness(item.days_overdue)},
            _("Review the plan"),
            reverse("cases:plan_detail", args=[plan.pk]) + "#reviews",
        )
    if by_kind.get(Due.ACTIONS):
        plan = next(plan for plan in plans if plan.status == CasePlan.Status.APPROVED)
        return NextStep(
            Kind.ACTIONS,
            _("Some actions of the plan are past their date: follow them up."),
            _("Follow up the actions"),
            reverse("cases:plan_detail", args=[plan.pk]),
        )
    return NextStep(
        Kind.KEEP_IN_CONTACT,
        _("Keep in regular contact, review the plan and reassess when due."),
        _("Log a contact"),
        contact_url,
        "contact",
    )


# What waits for a supervisor's review: a closure, an inclusion decision, a case plan.
_Reviewed = TypeVar("_Reviewed", Closure, InclusionDecision, CasePlan)


def _pending(records: list[_Reviewed]) -> _Reviewed | None:
    return next((r for r in records if r.status == ApprovalStatus.PENDING), None)


def _find(sent_back: list[SentBack], kind: str) -> SentBack | None:
    return next((entry for entry in sent_back if entry.kind == kind), None)


def _act_on(kind: str, sent_back: SentBack, *, step: str = "") -> NextStep:
    """What was sent back, with the note shown beside it: change it and send it again."""
    reason = {
        INCLUSION: _("Act on the note, then propose the inclusion decision again."),
        PLAN: _("Change the plan as the note asks, then send it for approval again."),
    }[sent_back.kind]
    return NextStep(kind, reason, sent_back.action, sent_back.url, step)


def _waiting(
    kind: str,
    reason: str | Promise,
    review_label: str | Promise,
    review_url: str,
    user: User,
    proposer_id: UUID | None,
) -> NextStep:
    """Something waits for a supervisor: theirs to review if they may, else nothing to press."""
    if user.role == Role.SUPERVISOR and user.pk != proposer_id:
        return NextStep(kind, reason, review_label, review_url)
    return NextStep(kind, reason)
