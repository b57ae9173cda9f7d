"""Every change to a case goes through these functions: one atomic, audited step each."""

import datetime
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from engage.accounts.models import City, Organisation, Role, User, supervised_by
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases import duplicates, workflow
from engage.cases.eligibility import Records, check_criteria
from engage.cases.models import (
    Action,
    Appointment,
    Assessment,
    Case,
    CasePlan,
    Closure,
    ClosureReason,
    Contact,
    EligibilityCriterion,
    EngagementRecord,
    FirstMeeting,
    Goal,
    Household,
    InclusionDecision,
    Person,
    PlanReview,
    ReassessmentRequest,
    Screening,
    Stage,
)
from engage.cases.models.appointment import validate_planned_date
from engage.cases.models.case import MAX_CONTACT_INTERVAL_DAYS
from engage.cases.models.process import ApprovalStatus, EstablishedBy
from engage.cases.search import index_people, insert_tokens
from engage.lib.bulk import prepare_insert
from engage.lib.concurrency import save_versioned
from engage.lib.translations import clean_translations

Data = Mapping[str, Any]


def today() -> datetime.date:
    return timezone.localdate()


def check_date(case: Case | None, value: datetime.date | None, field: str = "date") -> None:
    """Refuse a date in the future, or before the case's referral."""
    if value is None:
        return
    if value > today():
        raise ValidationError({field: FUTURE_DATE})
    if case is not None and value < case.referral_date:
        raise ValidationError(
            {
                field: _("This date is before the referral (%(date)s).")
                % {"date": formats.date_format(case.referral_date, "DATE_FORMAT")}
            }
        )


FUTURE_DATE = gettext_lazy("This date is in the future.")


def validate_not_in_future(value: datetime.date | None) -> None:
    """`check_date`'s first refusal as a form field's validator, so that a form says it with
    its other errors, not only once they are mended (the service checks it again)."""
    if value is not None and value > today():
        raise ValidationError(FUTURE_DATE, code="future")


def check_approver(case: Case, user: User, proposer: User, *, also: Iterable[Any] = ()) -> None:
    """Only a supervisor of the case's team, who did not propose the step (`proposer`, or
    whoever of `also`, ids, sent it for approval), approves it.

    Of the case's team, not of any case they can see: the household rule shows a supervisor
    the case of their client's partner held in another team, whose steps are that team's to
    approve (as its reassignment is, `_check_reassigner`)."""
    if (
        user.role != Role.SUPERVISOR
        or not Case.objects.visible_to(user).filter(pk=case.pk).exists()
        or not case.held_in_teams_of(user)
    ):
        raise ValidationError(_("Only a supervisor of this case can approve this."))
    if user == proposer or user.pk in set(also):
        raise ValidationError(_("Another supervisor must approve what you proposed yourself."))


def lock_as_stored(case: Case, step: str, *, member_id: uuid.UUID | None = None) -> Case:
    """Return `case` as stored, once `step` is allowed there, with its person (and a household
    member's, `member_id`, whose plan is in the case) and the case locked in erasure's order.

    The request loaded the case and its person before the service ran: an erasure committed
    in between was not seen, and what was written then stayed for good, a person erased once
    not being erased again (item 60; item 91 did it for documents). Locked, an erasure under
    way makes the write wait, then refuses it; one that comes after finds what was written.
    So is a closure approved meanwhile seen, and of two first records sent at once (a
    screening, a new enrollment) the second waits, then is refused."""
    for pk in dict.fromkeys(filter(None, (case.person_id, member_id))):
        Person.objects.select_for_update().only("pk").get(pk=pk)
    stored: Case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
    workflow.require_step(stored, step)
    return stored


def _transition(case: Case, to: str, by: User, **fields: Any) -> None:
    before = case.stage
    workflow.move(case, to)
    for name, value in fields.items():
        setattr(case, name, value)
    # A new stage invalidates forms opened before it, as any other change would.
    case.version += 1
    case.save(update_fields=["stage", *fields, "version"])
    record(by, AuditEvent.Action.TRANSITION, case, detail=f"{before}>{to}")


# Referral and first meeting


def check_processing_basis(referral: Data) -> None:
    """Every case states why its data is processed: a legal basis and a purpose (R36)."""
    missing = {
        name: _("Say on which legal basis and for what purpose this data is processed.")
        for name in ("legal_basis", "purpose")
        if not str(referral.get(name) or "").strip()
    }
    if missing:
        raise ValidationError(missing)


def check_referral(
    organisation: Organisation, case_manager: User, city: City, referral: Data
) -> None:
    """The rules of every new referral, typed in or imported."""
    if not case_manager.can_hold_cases_of(organisation):
        raise ValidationError({"case_manager": _("Choose a case manager of your organisation.")})
    if city.organisation_id != organisation.pk:
        raise ValidationError({"city": _("Choose one of your organisation's cities.")})
    check_date(None, referral["referral_date"], "referral_date")
    check_processing_basis(referral)


@transaction.atomic
def register_referral(
    *,
    organisation: Organisation,
    by: User,
    case_manager: User,
    city: City,
    person: Data,
    referral: Data,
    household_members: Iterable[Data] = (),
    different_person: str = "",
) -> Case:
    """Register a new referral: the person, their household, and the facts of the referral.

    A client who may already be known to the organisation (`duplicates.find`) stops it with
    `duplicates.PossibleDuplicateFound`, unless the user said it is a different person by
    sending back that warning's `confirmation` (`different_person`): then the pair is
    flagged for a supervisor.
    """
    check_referral(organisation, case_manager, city, referral)
    matches = duplicates.find(organisation.pk, person)
    if matches and different_person != duplicates.confirmation(matches):
        raise duplicates.PossibleDuplicateFound(matches)
    members = [member for member in household_members if member.get("given_name")]
    household = Household.objects.create(organisation=organisation) if members else None
    client = Person.objects.create(
        organisation=organisation,
        household=household,
        relationship=Person.Relationship.CLIENT,
        **person,
    )
    people = [client]
    for member in members:
        people.append(
            Person.objects.create(organisation=organisation, household=household, **member)
        )
    index_people(people)
    case = Case.objects.create(
        organisation=organisation,
        person=client,
        household=household,
        case_manager=case_manager,
        city=city,
        **referral,
    )
    record(by, AuditEvent.Action.CREATE, case)
    duplicates.flag(client, matches, by=by)
    return case


@transaction.atomic
def register_referrals(
    *, organisation: Organisation, by: User | None, referrals: Iterable[Data], detail: str = ""
) -> list[Case]:
    """Register many referrals at once (an import of an existing caseload), all or none.

    The same rules as `register_referral` for each (no household members), with the rows
    written in bulk: the people, their search tokens, the cases and one audit entry per case.
    Each referral is {"person": {...}, "referral": {...}, "case_manager": User, "city": City}.
    `by` is None for the command line, recorded as the system.
    """
    people, cases = [], []
    for item in referrals:
        check_referral(organisation, item["case_manager"], item["city"], item["referral"])
        person = Person(
            organisation=organisation, relationship=Person.Relationship.CLIENT, **item["person"]
        )
        people.append(person)
        cases.append(
            Case(
                organisation=organisation,
                person=person,
                case_manager=item["case_manager"],
                city=item["city"],
                **item["referral"],
            )
        )
    # One `executemany` a table (engage.lib.bulk): a caseload's thousands of rows without
    # `bulk_create` building a statement's text and parameters for each batch.
    prepare_insert(Person, people).run()
    insert_tokens(people).run()
    prepare_insert(Case, cases).run()
    prepare_insert(
        AuditEvent,
        [
            AuditEvent(
                actor_id=getattr(by, "pk", None),
                actor_role=getattr(by, "role", ""),
                organisation_id=organisation.pk,
                action=AuditEvent.Action.CREATE,
                object_type=Case._meta.label_lower,
                object_id=case.pk,
                detail=detail,
            )
            for case in cases
        ],
    ).run()
    return cases


FIRST_MEETING_BY = gettext_lazy(
    "The case's own case manager or their supervisor records the first meeting and the "
    "client's consent. You see this case through a client's household."
)


@transaction.atomic
def record_first_meeting(
    case: Case, *, by: User, data: Data, expected_version: int | None = None
) -> FirstMeeting:
    """Record the first meeting, or change it if no one else did since `expected_version`;
    with consent given, the case moves on to screening.

    The first record needs no version. A change needs the version it started from: without
    one (a page opened before the meeting was first recorded) or from an older one, it is
    refused (`ConcurrentEditError`) rather than silently replacing what is recorded.
    """
    # Locked, as stored now: of two records sent at once the second waits, then is refused
    # (its version is not the first's), and no second row is attempted. The stage moves on the
    # row as stored too, so a change committed meanwhile counts in its version.
    Person.objects.select_for_update().only("pk").get(pk=case.person_id)  # erasure's order
    given, case = case, Case.objects.select_for_update().get(pk=case.pk)
    # The client's consent to the programme is recorded by the case's own people, as every
    # consent is (`sharing.check_sharer`): not by a colleague who sees it through a household.
    if not case.shows_sensitive_to(by):
        raise ValidationError(FIRST_MEETING_BY)
    workflow.require_step(case, "first_meeting")
    check_date(case, data["date"])
    if data["consent_given"] and not all(
        data[name]
        for name in ("programme_explained", "independence_explained", "data_protection_explained")
    ):
        raise ValidationError(
            _(
                "Consent counts only once the programme, our independence from the authorities "
                "and data protection have all been explained."
            )
        )
    if data["consent_given"] and not data.get("consent_method"):
        raise ValidationError({"consent_method": _("Say how consent was given.")})
    meeting = FirstMeeting.objects.filter(case=case).first()
    if meeting is None:
        meeting = FirstMeeting.objects.create(case=case, recorded_by=by, **data)
        record(by, AuditEvent.Action.CREATE, meeting)
    else:
        for name, value in data.items():
            setattr(meeting, name, value)
        save_versioned(meeting, expected_version=expected_version, fields=list(data))
        record(by, AuditEvent.Action.UPDATE, meeting)
    if meeting.consent_given:
        _transition(case, Stage.SCREENING, by)
        given.stage, given.version = case.stage, case.version
    return meeting


# Screening and the inclusion decision


@transaction.atomic
def save_screening(case: Case, *, by: User, data: Data, expected_version: int | None) -> Screening:
    lock_as_stored(case, "screening")
    check_date(case, data["date"])
    screening = Screening.objects.filter(case=case).first()
    if screening is None:
        screening = Screening.objects.create(case=case, recorded_by=by, **data)
        record(by, AuditEvent.Action.CREATE, screening)
        return screening
    for name, value in data.items():
        setattr(screening, name, value)
    save_versioned(screening, expected_version=expected_version, fields=list(data))
    record(by, AuditEvent.Action.UPDATE, screening)
    return screening


def eligibility_checklist(organisation: Organisation) -> list[EligibilityCriterion]:
    return list(EligibilityCriterion.objects.filter(organisation=organisation, active=True))


@transaction.atomic
def propose_inclusion(
    case: Case,
    *,
    by: User,
    include: bool,
    date: datetime.date,
    criteria_met: Iterable[str],
    reason: str,
) -> InclusionDecision:
    """Put the team's decision to a supervisor: include (after screening) or decline."""
    # Locked, as stored now: of two proposals sent at once the second waits here, then sees the
    # first one waiting (and a case that moved on meanwhile), instead of both waiting.
    case = Case.objects.select_for_update().get(pk=case.pk)
    workflow.require_step(case, "decide_inclusion")
    check_date(case, date)
    if case.inclusion_decisions.filter(status=ApprovalStatus.PENDING).exists():
        raise ValidationError(_("A decision on this referral is already waiting for approval."))
    if include and case.stage != Stage.SCREENING:
        raise ValidationError(
            _("A client can be included only after the first meeting, with consent.")
        )
    if include and not Screening.objects.filter(case=case).exists():
        raise ValidationError(_("Complete the screening before proposing inclusion."))
    if not include and not reason.strip():
        raise ValidationError({"reason": _("Say why the referral is declined.")})
    met = {str(pk) for pk in criteria_met}
    checks = check_criteria(eligibility_checklist(case.organisation), Records.of(case))
    checklist = [
        {
            "text": check.criterion.text,
            "met": str(check.criterion.pk) in met,
            "established": check.established,
        }
        for check in checks
    ]
    unmet = sum(1 for item in checklist if not item["met"])
    if include and unmet and not reason.strip():
        raise ValidationError(
            {
                "reason": ngettext(
                    "%(count)s criterion is not met: say why you propose inclusion all the same.",
                    "%(count)s criteria are not met: say why you propose inclusion all the same.",
                    unmet,
                )
                % {"count": unmet}
            }
        )
    decision = InclusionDecision.objects.create(
        case=case,
        include=include,
        date=date,
        criteria=checklist,
        reason=reason,
        proposed_by=by,
    )
    record(by, AuditEvent.Action.CREATE, decision)
    return decision


def _review(item: InclusionDecision | Closure, *, by: User, approve: bool, note: str) -> None:
    # As stored now, under its case's lock: the page's copy may be older than a decision
    # another supervisor took meanwhile, which a late "send back" then overwrote.
    current = type(item)._default_manager.select_for_update().get(pk=item.pk)
    if current.status != ApprovalStatus.PENDING or item.status != ApprovalStatus.PENDING:
        raise ValidationError(_("This is no longer waiting for approval."))
    if not approve and not note.strip():
        raise ValidationError({"review_note": _("Say what needs to change before approval.")})
    item.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    reviewed = item.note_review(by=by, at=timezone.now(), note=note)
    item.save(update_fields=["status", *reviewed])
    record(by, AuditEvent.Action.APPROVE if approve else AuditEvent.Action.REJECT, item)


@transaction.atomic
def review_inclusion(
    decision: InclusionDecision, *, by: User, approve: bool, note: str = ""
) -> None:
    """A supervisor approves the team's decision (the case moves on) or sends it back."""
    case = Case.objects.select_for_update().get(pk=decision.case_id)
    check_approver(case, by, decision.proposed_by)
    _review(decision, by=by, approve=approve, note=note)
    if not approve:
        return
    if decision.include:
        _transition(case, Stage.INCLUDED, by, inclusion_date=decision.date)
    else:
        _transition(
            case, Stage.DECLINED, by, declined_date=decision.date, declined_reason=decision.reason
        )
        _cancel_planned_appointments(case)


# Assessment


@transaction.atomic
def record_assessment(case: Case, *, by: User, data: Data) -> Assessment:
    lock_as_stored(case, "assess")
    check_date(case, data["date"])
    if case.inclusion_date and data["date"] < case.inclusion_date:
        raise ValidationError({"date": _("An assessment cannot be dated before the inclusion.")})
    assessment = Assessment.objects.create(case=case, recorded_by=by, **data)
    case.reassessment_requests.filter(fulfilled_by__isnull=True).update(fulfilled_by=assessment)
    record(by, AuditEvent.Action.CREATE, assessment)
    return assessment


@transaction.atomic
def request_reassessment(case: Case, *, by: User, trigger: str, note: str) -> ReassessmentRequest:
    lock_as_stored(case, "assess")
    if not case.assessments.exists():
        raise ValidationError(_("The first assessment is already due; record it instead."))
    request = ReassessmentRequest.objects.create(
        case=case, trigger=trigger, note=note, requested_by=by
    )
    record(by, AuditEvent.Action.CREATE, request)
    return request


# Case plans


@transaction.atomic
def create_plan(case: Case, *, by: User, person: Person) -> CasePlan:
    workflow.require_step(case, "plan")
    if person.pk != case.person_id and (
        case.household_id is None or person.household_id != case.household_id
    ):
        raise ValidationError(
            {"person": _("A plan is for the client or a member of their household.")}
        )
    _refuse_if_member_erased(person.erased_at)
    # Until a supervisor has approved a plan of this case, every plan needs approval.
    first = not case.plans.filter(status=CasePlan.Status.APPROVED).exists()
    plan = CasePlan.objects.create(case=case, person=person, created_by=by, needs_approval=first)
    record(by, AuditEvent.Action.CREATE, plan)
    return plan


def require_editable_plan(plan: CasePlan, *, lock: bool = False) -> None:
    """Raise a ValidationError saying why `plan` cannot change now (closed, awaiting approval).

    With `lock` (inside a service's transaction), the people, the case and the plan are read as
    stored and locked, in the order an erasure, a closure's approval and a plan's review lock
    them: a closure approved at the same moment waits for the change and then cancels what it
    left open, or was first and is seen (an action set back to "to do" stayed open on a closed
    case; review probe); so is a household member's erasure."""
    if lock:
        # The people first, in erasure's order (`lock_as_stored`): a household member's erasure
        # under way makes the change wait, then refuses it; read unlocked, it was missed.
        case = lock_as_stored(plan.case, "plan", member_id=plan.person_id)
        status = (
            CasePlan._base_manager.select_for_update()
            .values_list("status", flat=True)
            .get(pk=plan.pk)
        )
    else:
        case, status = plan.case, plan.status
    workflow.require_step(case, "plan")
    _refuse_if_member_erased(
        Person.objects.values_list("erased_at", flat=True).get(pk=plan.person_id)
    )
    if status == CasePlan.Status.PENDING:
        raise ValidationError(_("The plan is waiting for approval; it can change once reviewed."))


def _refuse_if_member_erased(erased_at: datetime.datetime | None) -> None:
    """A household member's plans are in the client's case, which `workflow.require_step`
    holds to its own person's erasure: a plan for a member erased, or a goal or action on
    theirs, would be their personal data again, out of reach of any erasure (item 60)."""
    if erased_at is not None:
        raise ValidationError(_("This person's identity was erased."), code="erased")


@transaction.atomic
def add_goal(plan: CasePlan, *, by: User, data: Data) -> Goal:
    require_editable_plan(plan, lock=True)
    if data.get("migration_option") and data["area"] != Goal.Area.MIGRATION:
        raise ValidationError(
            {"migration_option": _("Only a migration case goal explores a migration option.")}
        )
    goal = Goal.objects.create(plan=plan, **data)
    record(by, AuditEvent.Action.CREATE, goal)
    return goal


@transaction.atomic
def add_action(goal: Goal, *, by: User, data: Data) -> Action:
    require_editable_plan(goal.plan, lock=True)
    _check_action(data)
    action = Action.objects.create(goal=goal, **data)
    record(by, AuditEvent.Action.CREATE, action)
    return action


def _check_action(data: Data) -> None:
    if data["owner"] == Action.Owner.THIRD_PARTY and not data.get("third_party", "").strip():
        raise ValidationError({"third_party": _("Name the third party who owns this action.")})


# Plans stay current: goals and actions change as the client's situation does. An agreed plan
# stays agreed when they change (nothing in the CAP model asks a supervisor to approve it again;
# the plan's reviews are where the change is discussed); the change history (engage.history)
# keeps every earlier wording, owner and date, and each change is audited. See docs/plans.md.


@transaction.atomic
def edit_goal(goal: Goal, *, by: User, description: str, expected_version: int) -> None:
    """Reword a goal, if no one else changed it since `expected_version`."""
    require_editable_plan(goal.plan, lock=True)
    description = description.strip()
    if not description:
        raise ValidationError({"description": _("Say what the goal is.")})
    goal.description = description
    save_versioned(goal, expected_version=expected_version, fields=["description"])
    record(by, AuditEvent.Action.UPDATE, goal, detail="description")


@transaction.atomic
def set_goal_status(
    goal: Goal,
    *,
    by: User,
    status: str,
    date: datetime.date | None,
    expected_version: int,
) -> int:
    """Mark a goal achieved or no longer pursued on `date`, or reopen it (status "open").

    A goal that ends takes its open actions with it: they are cancelled, as at closure, and
    can be set back to "to do" one by one if the goal is reopened. Return how many.
    """
    require_editable_plan(goal.plan, lock=True)
    if status not in Goal.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    if status == Goal.Status.OPEN:
        date = None
    elif date is None:
        raise ValidationError({"status_date": _("Say on which date.")})
    else:
        check_date(goal.plan.case, date, "status_date")
    goal.status, goal.status_date = status, date
    save_versioned(goal, expected_version=expected_version, fields=["status", "status_date"])
    cancelled = 0
    if status != Goal.Status.OPEN:
        cancelled = Action.objects.filter(goal=goal, status=Action.Status.OPEN).update(
            status=Action.Status.CANCELLED, version=F("version") + 1
        )
    record(by, AuditEvent.Action.UPDATE, goal, detail=f"status={status}")
    return cancelled


@transaction.atomic
def edit_action(action: Action, *, by: User, data: Data, expected_version: int) -> None:
    """Change an action's wording, owner or due date, if no one else changed it meanwhile."""
    require_editable_plan(action.goal.plan, lock=True)
    _check_action(data)
    data = dict(data)
    if data["owner"] != Action.Owner.THIRD_PARTY:
        data["third_party"] = ""  # a name kept from an earlier owner would be shown as theirs
    for name, value in data.items():
        setattr(action, name, value)
    save_versioned(action, expected_version=expected_version, fields=list(data))
    record(by, AuditEvent.Action.UPDATE, action, detail=",".join(sorted(data)))


@transaction.atomic
def set_action_status(action: Action, *, by: User, status: str, expected_version: int) -> None:
    """Set an action to do, done or cancelled, if no one else changed it since
    `expected_version`.

    Not back to "to do" under a goal that ended (achieved or no longer pursued): the goal took
    its open actions with it, and one to do again means the goal is pursued again.
    """
    # Not while the plan waits for approval: nothing of it changes then (as for its goals).
    require_editable_plan(action.goal.plan, lock=True)
    if status not in Action.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    if status == Action.Status.OPEN and _goal_status_locked(action.goal_id) != Goal.Status.OPEN:
        raise ValidationError(
            {
                "status": _(
                    "This action's goal is achieved or no longer pursued. Take the goal up "
                    "again first, then set the action back to 'To do'."
                )
            }
        )
    action.status = status
    action.completed_on = today() if status == Action.Status.DONE else None
    # Versioned: a change made on the page as it was before another change is refused.
    save_versioned(action, expected_version=expected_version, fields=["status", "completed_on"])
    record(by, AuditEvent.Action.UPDATE, action, detail=f"status={status}")


def _goal_status_locked(goal_id: uuid.UUID) -> str:
    # As stored now, and locked: a goal that ends meanwhile either waits for this change (and
    # then cancels the action with its other open ones) or ended before it, and is seen so.
    status: str = (
        Goal._base_manager.select_for_update().values_list("status", flat=True).get(pk=goal_id)
    )
    return status


def submission_refusal(plan: CasePlan) -> ValidationError | None:
    """Return why `plan` cannot be sent for approval (or agreed) now, or None if it can.

    The plan page shows this reason in place of the button; `submit_plan` raises it.
    """
    if plan.status != CasePlan.Status.DRAFT:
        return ValidationError(_("This plan was already submitted."), code="submitted")
    if not Assessment.objects.filter(case_id=plan.case_id).exists():
        # The goals are agreed on what the assessment found (CAP: assessment, then planning).
        return ValidationError(
            _(
                "The plan can be sent for approval once the first assessment is recorded: "
                "its goals build on what the assessment found."
            ),
            code="no_assessment",
        )
    if not plan.goals.exists():
        return ValidationError(_("Add at least one goal before submitting the plan."), code="empty")
    return None


@transaction.atomic
def submit_plan(plan: CasePlan, *, by: User) -> None:
    """Send the first plan to a supervisor; later plans take effect at once."""
    require_editable_plan(plan, lock=True)
    if refusal := submission_refusal(plan):
        raise refusal
    if plan.needs_approval:
        plan.status, plan.submitted_at = CasePlan.Status.PENDING, timezone.now()
        plan.save(update_fields=["status", "submitted_at"])
        record(by, AuditEvent.Action.UPDATE, plan, detail="submitted")
    else:
        plan.status, plan.approved_at = CasePlan.Status.APPROVED, timezone.now()
        plan.save(update_fields=["status", "approved_at"])
        record(by, AuditEvent.Action.UPDATE, plan, detail="agreed")


@transaction.atomic
def review_plan(plan: CasePlan, *, by: User, approve: bool, note: str = "") -> None:
    case = Case.objects.select_for_update().get(pk=plan.case_id)
    workflow.require_step(case, "plan")  # not on a case closed while it waited
    # Neither who made it nor who sent it for approval (the audit log says who did).
    sent_by = AuditEvent.objects.filter(
        object_type="cases.caseplan", object_id=plan.pk, detail="submitted"
    ).values_list("actor_id", flat=True)
    check_approver(case, by, plan.created_by, also=sent_by)
    current = CasePlan.objects.select_for_update().get(pk=plan.pk)  # as stored now
    if current.status != CasePlan.Status.PENDING or plan.status != CasePlan.Status.PENDING:
        raise ValidationError(_("This plan is not waiting for approval."))
    if not approve and not note.strip():
        raise ValidationError({"review_note": _("Say what needs to change before approval.")})
    now = timezone.now()
    plan.status = CasePlan.Status.APPROVED if approve else CasePlan.Status.DRAFT
    plan.approved_by, plan.approved_at = (by, now) if approve else (None, None)
    # A plan sent back is a draft with a review: it stays in front of the case manager, with
    # the note, until they send it again (see cases.sent_back).
    reviewed = plan.note_review(by=by, at=now, note=note)
    plan.save(update_fields=["status", "approved_by", "approved_at", *reviewed])
    record(by, AuditEvent.Action.APPROVE if approve else AuditEvent.Action.REJECT, plan)
    if approve and case.stage == Stage.INCLUDED:
        _transition(case, Stage.ACTIVE, by)


@transaction.atomic
def add_plan_review(plan: CasePlan, *, by: User, date: datetime.date, note: str) -> PlanReview:
    lock_as_stored(plan.case, "plan", member_id=plan.person_id)
    # A household member's plan: not once they were erased (`_refuse_if_member_erased`).
    _refuse_if_member_erased(
        Person.objects.values_list("erased_at", flat=True).get(pk=plan.person_id)
    )
    if plan.status != CasePlan.Status.APPROVED:
        raise ValidationError(_("Only an agreed plan is reviewed."))
    check_date(plan.case, date)
    review = PlanReview.objects.create(plan=plan, date=date, note=note, reviewed_by=by)
    record(by, AuditEvent.Action.CREATE, review)
    return review


# Intervention


def _set_engagement(case: Case, *, by: User, date: datetime.date, level: str, source: str) -> None:
    created = EngagementRecord.objects.create(
        case=case, date=date, level=level, source=source, recorded_by=by
    )
    # Never None: there is the record just made, at least.
    latest = case.engagement_records.order_by("-date", "-created_at").first() or created
    Case.objects.filter(pk=case.pk).update(engagement_level=latest.level)
    case.engagement_level = latest.level


@transaction.atomic
def log_contact(
    case: Case, *, by: User, data: Data, next_appointment: Data | None = None
) -> Contact:
    """Log a contact; the engagement level seen, if given, joins the case's history.

    With `next_appointment` (date, time, place, kind), the next appointment agreed during the
    contact is planned in the same step: both are saved, or neither.
    """
    lock_as_stored(case, "contact")
    check_date(case, data["date"])
    if next_appointment:
        _check_appointment(next_appointment, prefix="next_")
    data = dict(data)
    if data.get("content_not_recorded"):
        data["note"] = ""
    contact = Contact.objects.create(case=case, recorded_by=by, **data)
    if contact.engagement_level:
        _set_engagement(
            case,
            by=by,
            date=contact.date,
            level=contact.engagement_level,
            source=EngagementRecord.Source.CONTACT,
        )
    record(by, AuditEvent.Action.CREATE, contact)
    if next_appointment:
        plan_appointment(case, by=by, data=next_appointment)
    return contact


# Appointments: what is planned with the client (the agenda app shows them by week)

# What an appointment records, in the order its form asks (AppointmentForm).
APPOINTMENT_FIELDS = ("date", "time", "kind", "place")


def _check_appointment(data: Data, *, prefix: str = "") -> None:
    """An appointment is planned for today or later, of a known kind."""
    if data.get("date") is None:
        raise ValidationError({f"{prefix}date": _("Say on which day.")})
    try:
        validate_planned_date(data["date"])
    except ValidationError as error:
        raise ValidationError({f"{prefix}date": error.messages}) from None
    if data.get("kind") not in Appointment.Kind.values:
        raise ValidationError({f"{prefix}kind": _("Say what kind of appointment it is.")})


def _require_planned(appointment: Appointment) -> None:
    lock_as_stored(appointment.case, "appointment")
    if appointment.status != Appointment.Status.PLANNED:
        raise ValidationError(_("This appointment was already marked done or cancelled."))


@transaction.atomic
def set_contact_interval(case: Case, *, by: User, days: int | None, expected_version: int) -> None:
    """Set how many days may pass between contacts with this client; None: the organisation's."""
    workflow.require_step(case, "contact")
    if days is not None and not 1 <= days <= MAX_CONTACT_INTERVAL_DAYS:
        raise ValidationError(
            {"days": _("Choose between 1 and %(max)d days.") % {"max": MAX_CONTACT_INTERVAL_DAYS}}
        )
    case.contact_interval_days = days
    save_versioned(case, expected_version=expected_version, fields=["contact_interval_days"])
    record(by, AuditEvent.Action.UPDATE, case, detail="contact_interval_days")


@transaction.atomic
def plan_appointment(case: Case, *, by: User, data: Data) -> Appointment:
    """Plan an appointment with the client (date, optional time and place, kind)."""
    lock_as_stored(case, "appointment")
    _check_appointment(data)
    appointment = Appointment.objects.create(
        case=case,
        created_by=by,
        date=data["date"],
        time=data.get("time"),
        place=(data.get("place") or "").strip(),
        kind=data["kind"],
    )
    record(by, AuditEvent.Action.CREATE, appointment)
    return appointment


@transaction.atomic
def edit_appointment(
    appointment: Appointment, *, by: User, data: Data, expected_version: int
) -> None:
    """Move or change a planned appointment; refused if someone changed it meanwhile."""
    _require_planned(appointment)
    _check_appointment(data)
    stored = Appointment.objects.get(pk=appointment.pk)  # a ModelForm has changed `appointment`
    changed = []
    for name in APPOINTMENT_FIELDS:
        value = data.get(name)
        if name == "place":
            value = (value or "").strip()
        if getattr(stored, name) != value:
            changed.append(name)
        setattr(appointment, name, value)
    save_versioned(appointment, expected_version=expected_version, fields=APPOINTMENT_FIELDS)
    record(by, AuditEvent.Action.UPDATE, appointment, detail=",".join(changed))


@transaction.atomic
def cancel_appointment(appointment: Appointment, *, by: User, expected_version: int) -> None:
    _require_planned(appointment)
    appointment.status = Appointment.Status.CANCELLED
    save_versioned(appointment, expected_version=expected_version, fields=["status"])
    record(by, AuditEvent.Action.UPDATE, appointment, detail="status=cancelled")


@transaction.atomic
def mark_appointment_done(appointment: Appointment, *, by: User, expected_version: int) -> None:
    _require_planned(appointment)
    if appointment.date > today():
        raise ValidationError(_("An appointment can be marked done on its day or later."))
    appointment.status = Appointment.Status.DONE
    save_versioned(appointment, expected_version=expected_version, fields=["status"])
    record(by, AuditEvent.Action.UPDATE, appointment, detail="status=done")


@transaction.atomic
def record_outcome(
    case: Case,
    *,
    by: User,
    outcome: str,
    permanence: str,
    date: datetime.date,
    expected_version: int,
) -> None:
    workflow.require_step(case, "outcome")
    check_date(case, date, "outcome_date")
    if outcome and not permanence:
        raise ValidationError(
            {"outcome_permanence": _("Say whether the outcome is permanent or temporary.")}
        )
    case.outcome, case.outcome_permanence = outcome, permanence if outcome else ""
    case.outcome_date = date if outcome else None
    save_versioned(
        case,
        expected_version=expected_version,
        fields=["outcome", "outcome_permanence", "outcome_date"],
    )
    record(by, AuditEvent.Action.UPDATE, case, detail="outcome")


def referral_answers_changed(case: Case, *, expected_version: int) -> None:
    """Move `case`'s version for a change of its referral's own answers alone (`custom` in the
    API), which no column of the case records: the case's ETag covers them, so a client whose
    read is older than the change is told (412), as for any other change of the case."""
    save_versioned(case, expected_version=expected_version, fields=[])


# Resolution and closure


DISENGAGEMENT_REASONS = (ClosureReason.DISENGAGED, ClosureReason.ABSCONDED)


@transaction.atomic
def request_closure(case: Case, *, by: User, data: Data) -> Closure:
    # Locked, as stored now: of two requests sent at once the second waits, then is refused.
    case = Case.objects.select_for_update().get(pk=case.pk)
    workflow.require_step(case, "close")
    check_date(case, data["date"])
    if case.closures.filter(status=ApprovalStatus.PENDING).exists():
        raise ValidationError(_("A closure is already waiting for approval."))
    if data["reason"] not in DISENGAGEMENT_REASONS:
        # The factors concern a disengagement only (the dataset carries them for disengaged and
        # absconded): ticked without JavaScript, where every reason shows them, they are dropped.
        data = {**data, "disengagement_factors": [], "disengagement_other": ""}
    if data["reason"] in DISENGAGEMENT_REASONS and not data.get("disengagement_factors"):
        raise ValidationError(
            {
                "disengagement_factors": _(
                    "Tick the factors known so far, or 'Contact lost, reason not known'."
                )
            }
        )
    if (
        "other" in data.get("disengagement_factors", [])
        and not data.get("disengagement_other", "").strip()
    ):
        raise ValidationError({"disengagement_other": _("Describe the other factor.")})
    if data.get("outcome") and not data.get("outcome_permanence"):
        raise ValidationError(
            {"outcome_permanence": _("Say whether the outcome is permanent or temporary.")}
        )
    if data["reason"] == ClosureReason.RESOLVED and not (data.get("outcome") or case.outcome):
        raise ValidationError({"outcome": _("A resolved case has an outcome: record it.")})
    closure = Closure.objects.create(case=case, requested_by=by, **data)
    record(by, AuditEvent.Action.CREATE, closure)
    return closure


@transaction.atomic
def review_closure(closure: Closure, *, by: User, approve: bool, note: str = "") -> None:
    """Approve a closure (the case closes, open actions end) or send it back."""
    case = Case.objects.select_for_update().get(pk=closure.case_id)
    check_approver(case, by, closure.requested_by)
    _review(closure, by=by, approve=approve, note=note)
    if not approve:
        return
    outcome = {}
    if closure.outcome:
        outcome = {
            "outcome": closure.outcome,
            "outcome_permanence": closure.outcome_permanence,
            "outcome_date": case.outcome_date or closure.date,
        }
    _transition(case, Stage.CLOSED, by, closure_date=closure.date, **outcome)
    Action.objects.filter(goal__plan__case=case, status=Action.Status.OPEN).update(
        status=Action.Status.CANCELLED
    )
    _cancel_planned_appointments(case)


def _cancel_planned_appointments(case: Case) -> None:
    """A case closed or declined has nothing planned: its appointments leave the week and the
    calendar feed (and could no longer be cancelled by hand, the case not being open)."""
    Appointment.objects.filter(case=case, status=Appointment.Status.PLANNED).update(
        status=Appointment.Status.CANCELLED, version=F("version") + 1
    )


@transaction.atomic
def keep_case_open(closure: Closure, *, by: User) -> None:
    """Act on a closure sent back by keeping the case open: the note no longer waits."""
    # As stored, not as the page that offered the button loaded it (a closure asked again or
    # approved since): the person and the case locked in erasure's order, then the closure, as
    # a review locks the case first. Its own refusals come before the step's: they say what
    # happened.
    Person.objects.select_for_update().only("pk").get(pk=closure.case.person_id)
    Case.objects.select_for_update().only("pk").get(pk=closure.case_id)
    closure = Closure.objects.select_for_update().select_related("case__person").get(pk=closure.pk)
    if closure.status != ApprovalStatus.REJECTED or closure.kept_open_at is not None:
        raise ValidationError(_("This closure is not waiting for you to act on it."))
    if closure.case.closures.filter(created_at__gt=closure.created_at).exists():
        raise ValidationError(_("Closure was asked for again since; that request stands."))
    workflow.require_step(closure.case, "close")
    closure.kept_open_at = timezone.now()
    closure.save(update_fields=["kept_open_at"])
    record(by, AuditEvent.Action.UPDATE, closure, detail="kept_open")


@transaction.atomic
def reopen(case: Case, *, by: User, referral: Data) -> Case:
    """Start a new enrollment for the same person, linked to the closed or declined one."""
    lock_as_stored(case, "reopen")
    if Case.objects.filter(previous=case).exists():
        raise ValidationError(_("This case was already reopened."))
    check_date(case, referral["referral_date"], "referral_date")
    check_processing_basis(referral)
    if referral["referral_date"] < (case.closure_date or case.declined_date or case.referral_date):
        raise ValidationError({"referral_date": _("The new referral must come after the closure.")})
    new = Case.objects.create(
        organisation=case.organisation,
        person=case.person,
        household=case.household,
        case_manager=case.case_manager,
        city=case.city,
        previous=case,
        **referral,
    )
    record(by, AuditEvent.Action.CREATE, new, detail="reopened")
    return new


def _check_new_case_manager(organisation: Organisation, case_manager: User) -> None:
    # The rule of the web form's choices, whatever the caller (the API sends any user id).
    if not case_manager.can_hold_cases_of(organisation):
        raise ValidationError(
            {"case_manager": _("Choose an active case manager of your organisation.")}
        )


NOT_YOUR_TEAMS = gettext_lazy("You can reassign only the cases of the teams you lead.")


def _check_reassigner(by: User, holder_id: Any) -> None:
    """A supervisor moves the cases of the teams they lead (their own included), not those
    they see through a client's household only: taking one of those took it out of its own
    team's sight, and opened its sensitive answers to them. The admin moves the
    organisation's."""
    if by.role == Role.ORG_ADMIN:
        return
    if not User.objects.filter(supervised_by(by), pk=holder_id).exists():
        raise ValidationError(NOT_YOUR_TEAMS)


@transaction.atomic
def reassign(case: Case, *, by: User, case_manager: User, expected_version: int) -> None:
    workflow.require_step(case, "reassign")
    # Its holder as stored: a model form has already put the new one on `case`.
    _check_reassigner(by, Case.objects.values_list("case_manager", flat=True).get(pk=case.pk))
    _check_new_case_manager(case.organisation, case_manager)
    case.case_manager = case_manager
    save_versioned(case, expected_version=expected_version, fields=["case_manager"])
    record(by, AuditEvent.Action.UPDATE, case, detail="case_manager")


@transaction.atomic
def reassign_cases(
    *,
    by: User,
    from_manager: User,
    to_manager: User,
    case_ids: Iterable[Any] | None = None,
) -> list[Case]:
    """Give `from_manager`'s open cases (all of them, or those of `case_ids`) to `to_manager`.

    One step for a supervisor or admin when someone leaves, goes on leave or carries too many:
    all the cases move or none, each one audited as a reassignment. Only cases `by` may see
    are moved; an id that is not one of `from_manager`'s open cases in that scope is refused,
    never skipped, so a foreign id cannot be probed or slipped in.
    """
    if by.role not in (Role.SUPERVISOR, Role.ORG_ADMIN):
        raise ValidationError(_("Only a supervisor or the organisation admin reassigns cases."))
    organisation = by.organisation
    if organisation is None or from_manager.organisation_id != organisation.pk:
        raise ValidationError({"from_manager": _("Choose a case manager of your organisation.")})
    _check_reassigner(by, from_manager.pk)
    _check_new_case_manager(organisation, to_manager)
    if to_manager.pk == from_manager.pk:
        raise ValidationError(
            {"case_manager": _("Choose someone else than the current case manager.")}
        )
    theirs = (
        Case.objects.visible_to(by)
        .filter(case_manager=from_manager, stage__in=workflow.STEPS["reassign"])
        # Only the cases' rows: a supervisor's scope joins the teams they lead (outer join).
        .select_for_update(of=("self",))
    )
    if case_ids is None:
        cases = list(theirs)
    else:
        wanted = {str(pk) for pk in case_ids}
        cases = [case for case in theirs.filter(pk__in=_uuids(wanted)) if str(case.pk) in wanted]
        if not wanted or len(cases) != len(wanted):
            raise ValidationError(
                {"cases": _("Choose among the open cases of this case manager that you can see.")}
            )
    if not cases:
        raise ValidationError({"cases": _("This case manager has no open case to reassign.")})
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(
        case_manager=to_manager, version=F("version") + 1
    )
    for case in cases:
        case.case_manager = to_manager
        case.version += 1
        record(by, AuditEvent.Action.UPDATE, case, detail="case_manager")
    return cases


def _uuids(values: Iterable[str]) -> list[uuid.UUID]:
    """Keep the well-formed ids: a malformed one then counts as not found (refused)."""
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


@transaction.atomic
def update_identity(case: Case, *, by: User, data: Data, expected_version: int) -> None:
    """Correct the identity of `case`'s person; changed fields are flagged as corrected
    (rectification). `case.person` is the instance the form changed."""
    person = case.person
    # As stored, locked in erasure's order: erasure does not move the version, so a correction
    # from a page loaded before it wrote the identity back over the erased one; and a closure
    # approved since the page loaded closes the identity to edits, as the page itself would.
    stored = lock_as_stored(case, "edit_identity").person
    changed = [name for name, value in data.items() if getattr(stored, name) != value]
    for name, value in data.items():
        setattr(person, name, value)
    person.corrected_fields = sorted(set(person.corrected_fields) | set(changed))
    save_versioned(person, expected_version=expected_version, fields=[*data, "corrected_fields"])
    index_people([person])
    record(by, AuditEvent.Action.UPDATE, person, detail=",".join(sorted(data)))


# The organisation's eligibility checklist


def _check_fact(established_by: str | None) -> None:
    if established_by and established_by not in EstablishedBy.values:
        raise ValidationError({"established_by": _("Choose one of the facts offered.")})


def add_criterion(
    organisation: Organisation,
    *,
    by: User,
    text: str,
    translations: Mapping[str, str] | None = None,
    established_by: str = "",
) -> EligibilityCriterion:
    """Add a line to the checklist, as written and in the other languages given, and the
    recorded fact that establishes it, if any (`cases.eligibility`)."""
    _check_fact(established_by)
    position = EligibilityCriterion.objects.filter(organisation=organisation).count()
    criterion = EligibilityCriterion.objects.create(
        organisation=organisation,
        text=text.strip(),
        position=position,
        translations=clean_translations(translations or {}),
        established_by=established_by,
    )
    record(by, AuditEvent.Action.CREATE, criterion)
    return criterion


@transaction.atomic
def translate_criterion(
    criterion: EligibilityCriterion,
    *,
    by: User,
    translations: Mapping[str, str],
    expected_version: int,
    established_by: str | None = None,
) -> None:
    """Give a criterion its text in the other languages (the original stays as written) and,
    unless None, the recorded fact that establishes it, if no one else changed it since
    `expected_version` (ConcurrentEditError)."""
    _check_fact(established_by)
    criterion.translations = clean_translations(translations)
    fields, detail = ["translations"], "translations"
    if established_by is not None and established_by != criterion.established_by:
        criterion.established_by = established_by
        fields.append("established_by")
        detail += f",established_by={established_by or '-'}"
    save_versioned(criterion, expected_version=expected_version, fields=fields)
    record(by, AuditEvent.Action.UPDATE, criterion, detail=detail)


def set_criterion_in_use(criterion: EligibilityCriterion, *, by: User, active: bool) -> None:
    """Take a criterion out of use, or back in (answered checklists keep their text). Asked for
    the state it is in already (two admins clicking at once), nothing changes: the second
    click does not undo the first."""
    if criterion.active == active:
        return
    criterion.active = active
    criterion.save(update_fields=["active"])
    record(by, AuditEvent.Action.UPDATE, criterion, detail=f"active={criterion.active}")
