"""The case management process as a state machine, written once.

Stages move only along TRANSITIONS; each step of the work is allowed only in the stages STEPS
names. Services call `require_step` and `move`; views call `allowed_steps` to offer the steps,
and `cases.next_step` says which one comes next.
"""

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from engage.cases.models import Case, Person, Stage
from engage.cases.models.case import IN_PROGRAMME as IN_PROGRAMME_STAGES
from engage.cases.models.case import OPEN_STAGES

TRANSITIONS: dict[str, set[str]] = {
    Stage.REFERRED: {Stage.SCREENING, Stage.DECLINED},
    Stage.SCREENING: {Stage.INCLUDED, Stage.DECLINED},
    Stage.INCLUDED: {Stage.ACTIVE, Stage.CLOSED},
    Stage.ACTIVE: {Stage.CLOSED},
    Stage.DECLINED: set(),
    Stage.CLOSED: set(),
}

OPEN: set[str] = set(OPEN_STAGES)
IN_PROGRAMME: set[str] = set(IN_PROGRAMME_STAGES)

STEPS: dict[str, set[str]] = {
    "first_meeting": {Stage.REFERRED},
    "screening": {Stage.SCREENING},
    "decide_inclusion": {Stage.REFERRED, Stage.SCREENING},
    "assess": IN_PROGRAMME,
    "plan": IN_PROGRAMME,
    "contact": OPEN,
    "appointment": OPEN,
    "outcome": IN_PROGRAMME,
    "close": IN_PROGRAMME,
    "reopen": {Stage.CLOSED, Stage.DECLINED},
    "edit_identity": OPEN,
    "reassign": OPEN,
    "attach_document": OPEN,
}

_REFUSALS = {
    "first_meeting": _("The first meeting is recorded while the case is a new referral."),
    "screening": _(
        "Screening is recorded after the first meeting and before the inclusion decision."
    ),
    "decide_inclusion": _("An inclusion decision can only be made for a referral not yet decided."),
    "assess": _("Assessments start once the client is included in the programme."),
    "plan": _("A case plan can only be made once the client is included in the programme."),
    "contact": _("Contacts cannot be added to a closed or declined case."),
    "appointment": _("Appointments are planned only while the case is open."),
    "outcome": _("An outcome can only be recorded while the client is in the programme."),
    "close": _("Only a case in the programme can be closed; a referral is declined instead."),
    "reopen": _("Only a closed or declined case can be reopened."),
    "edit_identity": _("The identity of a closed case can no longer be edited here."),
    "reassign": _("A closed or declined case cannot be reassigned."),
    "attach_document": _("Documents can only be attached while the case is open."),
}


# The steps left on a case whose person was erased: ending it (a closure, the decision that
# declines a referral) and handing it to a colleague. Anything else recorded there (a contact's
# note, an assessment, a document, a reopened enrollment) would be their personal data again,
# out of reach of any erasure, which a person erased once does not go through twice
# (docs/security.md, item 60).
AFTER_ERASURE = {"close", "decide_inclusion", "reassign"}
ERASED = _("This person's data was erased: their case can only be closed or reassigned.")


def person_erased(case: Case) -> bool:
    """Whether `case`'s person was erased: from the person loaded with the case (the pages and
    the services load them together), else in a query of its own."""
    if Case.person.is_cached(case):
        return case.person.erased_at is not None
    return Person.objects.filter(pk=case.person_id, erased_at__isnull=False).exists()


def erased_reason(case: Case) -> Promise | None:
    """Why a page of `case` takes nothing more (`ERASED`) if its person was erased: its forms
    would be refused, so the page says so instead."""
    return ERASED if person_erased(case) else None


def refuse_if_erased(case: Case) -> None:
    """Raise the reason if `case`'s person was erased: for what is written on a case outside
    the steps of the process (a referral to a service, the referral's own answers), which
    would be their personal data again, out of reach of any erasure (item 60)."""
    if person_erased(case):
        raise ValidationError(ERASED, code="erased")


def allowed_steps(case: Case) -> set[str]:
    steps = {step for step, stages in STEPS.items() if case.stage in stages}
    return steps & AFTER_ERASURE if steps and person_erased(case) else steps


def require_step(case: Case, step: str) -> None:
    """Raise a ValidationError that says why, unless `step` is allowed in the case's stage
    (and, for a person erased, is one of the steps left, `AFTER_ERASURE`)."""
    if case.stage not in STEPS[step]:
        raise ValidationError(_REFUSALS[step], code="wrong_stage")
    if step not in AFTER_ERASURE:
        refuse_if_erased(case)


def move(case: Case, to: str) -> None:
    """Change the case's stage in memory, refusing any move the process does not have."""
    if to not in TRANSITIONS[case.stage]:
        raise ValidationError(
            _("A case cannot go from %(from)s to %(to)s.")
            % {"from": Stage(case.stage).label, "to": Stage(to).label},
            code="invalid_transition",
        )
    case.stage = to
