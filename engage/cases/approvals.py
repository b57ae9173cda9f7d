"""The supervisor's approval queue: what waits for their decision, the longest waiting first.

Inclusion decisions, first case plans and closures wait for a supervisor who can see the case
and did not propose them (`services.check_approver`). The queue orders them by how long they
have waited, whatever their kind, and after each decision the supervisor goes on to the next
one (`following`), so a morning's approvals are one pass.
"""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from engage.accounts.models import Role, User
from engage.cases.models import Case, CasePlan, Closure, InclusionDecision
from engage.cases.models.process import ApprovalStatus
from engage.lib.queries import AmongValues

INCLUSION, PLAN, CLOSURE = "inclusion", "plan", "closure"


@dataclass(frozen=True)
class Waiting:
    """One item waiting for a supervisor's decision."""

    kind: str
    item: InclusionDecision | CasePlan | Closure
    since: datetime.datetime

    @property
    def case(self) -> Case:
        return self.item.case

    @property
    def key(self) -> tuple[datetime.datetime, str]:
        """The item's place in the queue: the longest waiting first, then by id (stable)."""
        return (self.since, str(self.item.pk))

    @property
    def url(self) -> str:
        name = {
            INCLUSION: "cases:inclusion_review",
            PLAN: "cases:plan_detail",
            CLOSURE: "cases:closure_review",
        }[self.kind]
        return reverse(name, args=[self.item.pk])

    def days_waiting(self, today: datetime.date) -> int:
        return max((today - timezone.localdate(self.since)).days, 0)

    def waited(self, today: datetime.date) -> str:
        """Say how long it has waited: "waiting 3 days", "waiting since today"."""
        days = self.days_waiting(today)
        if days == 0:
            return gettext("waiting since today")
        return ngettext("waiting %(count)d day", "waiting %(count)d days", days) % {"count": days}

    @property
    def criteria(self) -> str:
        """For an inclusion decision: "2 of 4 criteria met" ("" without a checklist)."""
        if self.kind != INCLUSION or not isinstance(self.item, InclusionDecision):
            return ""
        tally = self.item.criteria_met()
        return str(tally) if tally else ""


def queue(user: User) -> list[Waiting]:
    """Return what waits for `user`'s decision, the longest waiting first (four queries).

    The cases `user` may see are read first, as ids (a supervisor's teams hold a few hundred),
    and each kind of record waiting is then read by them (one parameter: `AmongValues`). As a
    subquery of each of the three, the reader's scope made each a query PostgreSQL planned
    afresh for its values at every request: 3.7 to 4.9 ms each at 100,000 clients, for
    1 ms of work (issue 17, docs/performance.md).
    """
    if user.role != Role.SUPERVISOR:
        return []
    # The cases of the teams they lead: one seen through a client's household only is its own
    # team's to approve (`services.check_approver`).
    visible = list(
        Case.objects.visible_to(user).of_own_teams(user).order_by().values_list("pk", flat=True)
    )
    if not visible:
        return []
    pending = ApprovalStatus.PENDING
    decisions = (
        InclusionDecision.objects.filter(AmongValues("case", visible), status=pending)
        .exclude(proposed_by=user)
        .select_related("case__person", "proposed_by")
    )
    plans = (
        CasePlan.objects.filter(AmongValues("case", visible), status=pending)
        .exclude(created_by=user)
        .select_related("case__person", "person", "created_by")
    )
    closures = (
        Closure.objects.filter(AmongValues("case", visible), status=pending)
        .exclude(requested_by=user)
        .select_related("case__person", "requested_by")
    )
    items = [
        *(waiting_for(INCLUSION, decision) for decision in decisions),
        *(waiting_for(PLAN, plan) for plan in plans),
        *(waiting_for(CLOSURE, closure) for closure in closures),
    ]
    return sorted(items, key=lambda waiting: waiting.key)


def waiting_for(kind: str, item: InclusionDecision | CasePlan | Closure) -> Waiting:
    """The queue's entry for `item`: it waits since it was sent to a supervisor."""
    if kind == PLAN and isinstance(item, CasePlan):
        since = item.submitted_at or item.created_at
    else:
        since = item.created_at
    return Waiting(kind, item, since)


def following(user: User, decided: Waiting) -> Waiting | None:
    """Return the item to open after deciding `decided`: the next one in the queue.

    "Next" is the first item that had waited less long than the one decided, so an item the
    supervisor skipped is not put in front of them again at once; after the last, the queue
    starts over from the longest waiting. None when nothing else waits.
    """
    rest = [waiting for waiting in queue(user) if waiting.item.pk != decided.item.pk]
    later = [waiting for waiting in rest if waiting.key > decided.key]
    candidates = later or rest
    return candidates[0] if candidates else None
