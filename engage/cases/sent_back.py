"""What a supervisor sent back to the case manager, until the case manager acts on it.

A supervisor approves an inclusion decision, a first case plan or a closure, or sends it back
with a note (the services refuse to send back without one). What was sent back stays in front
of the case manager, at the top of their caseload and on the case page, with the note, until
they act on it:

- an inclusion decision: until a new decision is proposed (to include again, or to decline);
- a case plan: until it is sent for approval again (meanwhile it is a draft, to change);
- a closure: until closure is asked for again, or the case manager keeps the case open
  (`services.keep_case_open`), since the note may well say that the case should go on.

Nothing here is stored apart: each rule reads the records themselves, so what is shown cannot
drift from what happened.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User
from engage.cases.models import Case, CasePlan, Closure, InclusionDecision
from engage.cases.models.case import IN_PROGRAMME, Stage
from engage.cases.models.process import ApprovalStatus

INCLUSION, PLAN, CLOSURE = "inclusion", "plan", "closure"

BEFORE_INCLUSION = (Stage.REFERRED, Stage.SCREENING)

_TITLES = {
    INCLUSION: _("Inclusion decision sent back"),
    PLAN: _("Case plan sent back"),
    CLOSURE: _("Closure sent back"),
}
_ACTIONS = {
    INCLUSION: _("Revise the inclusion decision"),
    PLAN: _("Revise the case plan"),
    CLOSURE: _("Act on the closure note"),
}


@dataclass(frozen=True)
class SentBack:
    """One item sent back and not yet acted on."""

    kind: str
    case: Case
    item: InclusionDecision | CasePlan | Closure

    @property
    def note(self) -> str:
        return self.item.review_note

    @property
    def by(self) -> User | None:
        return self.item.reviewed_by

    @property
    def on(self) -> datetime.datetime | None:
        return self.item.reviewed_at

    @property
    def title(self) -> str | Promise:
        return _TITLES[self.kind]

    @property
    def action(self) -> str | Promise:
        """What the case manager does about it: the label of the link that takes them there."""
        return _ACTIONS[self.kind]

    @property
    def url(self) -> str:
        if self.kind == INCLUSION:
            return reverse("cases:inclusion", args=[self.case.pk])
        if self.kind == PLAN:
            return reverse("cases:plan_detail", args=[self.item.pk])
        # The closure note: ask again from the closure form, or keep the case open, both on the
        # case page where the note is shown.
        return self.case.get_absolute_url() + "#sent-back"


def _answered_later(model: type[InclusionDecision] | type[Closure]) -> Exists:
    """Whether a later record of the same kind exists on the same case (the answer to it)."""
    return Exists(
        model.objects.filter(case=OuterRef("case"), created_at__gt=OuterRef("created_at"))
    )


def sent_back(cases: Iterable[Case]) -> list[SentBack]:
    """Return what was sent back on `cases` and not yet acted on, the oldest first.

    `cases` are loaded, with their people: the caseload's, read in the reader's scope. Three
    queries whatever the number of cases (one per kind of record), by the cases' ids, and each
    record is given back its case as loaded. Asking by the caseload's query instead built the
    reader's scope into each of the three and read and decrypted the cases and people again.
    """
    loaded = {case.pk: case for case in cases}
    ids = list(loaded)
    rejected = ApprovalStatus.REJECTED
    decisions = (
        InclusionDecision.objects.filter(
            case_id__in=ids, case__stage__in=BEFORE_INCLUSION, status=rejected
        )
        .exclude(_answered_later(InclusionDecision))
        .select_related("reviewed_by")
    )
    plans = CasePlan.objects.filter(
        case_id__in=ids,
        case__stage__in=IN_PROGRAMME,
        status=CasePlan.Status.DRAFT,
        reviewed_at__isnull=False,
    ).select_related("reviewed_by")
    closures = (
        Closure.objects.filter(
            case_id__in=ids,
            case__stage__in=IN_PROGRAMME,
            status=rejected,
            kept_open_at__isnull=True,
        )
        .exclude(_answered_later(Closure))
        .select_related("reviewed_by")
    )
    found = [
        *(_on_loaded(INCLUSION, d, loaded) for d in decisions),
        *(_on_loaded(PLAN, p, loaded) for p in plans),
        *(_on_loaded(CLOSURE, c, loaded) for c in closures),
    ]
    return sorted(found, key=_sent_back_at)


def _on_loaded(
    kind: str, item: InclusionDecision | CasePlan | Closure, loaded: dict[UUID, Case]
) -> SentBack:
    item.case = loaded[item.case_id]
    return SentBack(kind, item.case, item)


def sent_back_on(case: Case) -> list[SentBack]:
    """Return what was sent back on `case` and not yet acted on.

    Read from the case's records as loaded (the case page prefetches them), plus one query for
    the supervisors who sent them back when there are any.
    """
    found: list[SentBack] = []
    if case.stage in BEFORE_INCLUSION:
        decisions = list(case.inclusion_decisions.all())
        latest = max(decisions, key=lambda d: d.created_at, default=None)
        if latest is not None and latest.status == ApprovalStatus.REJECTED:
            found.append(SentBack(INCLUSION, case, latest))
    if case.in_programme:
        for plan in case.plans.all():
            if plan.status == CasePlan.Status.DRAFT and plan.reviewed_at is not None:
                found.append(SentBack(PLAN, case, plan))
        closures = list(case.closures.all())
        closure = max(closures, key=lambda c: c.created_at, default=None)
        if (
            closure is not None
            and closure.status == ApprovalStatus.REJECTED
            and closure.kept_open_at is None
        ):
            found.append(SentBack(CLOSURE, case, closure))
    if found:
        ids = {entry.item.reviewed_by_id for entry in found}
        reviewers: dict[UUID | None, User] = {
            user.pk: user for user in User.objects.filter(pk__in=ids)
        }
        for entry in found:
            entry.item.reviewed_by = reviewers.get(entry.item.reviewed_by_id)
    return sorted(found, key=_sent_back_at)


def _sent_back_at(entry: SentBack) -> datetime.datetime:
    """When it was sent back: what was sent back has been reviewed."""
    if entry.on is None:
        raise ValueError(f"{entry.kind} {entry.item.pk} sent back without a review time")
    return entry.on
