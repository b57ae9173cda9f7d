"""The same person registered twice: found before saving, flagged, decided by a supervisor.

Before a referral is saved (`services.register_referral`, from the form and the API), the new
client's name by sound with their date of birth, their document number and their phone are
looked up in the organisation's blind index (`search.identity_digests`): no record is decrypted
to find them, and the whole organisation is searched, including cases the user may not open.

What the user is told depends on what they may open: a case of their own is named (so they can
go to it); a record outside their caseload is only said to exist, with whom to ask (their
supervisor), never its name, reference or case manager. The user may stop, or say it is a
different person and go on; then the pair is flagged (`PossibleDuplicate`) for a supervisor
who can open both records, who decides "the same person" (the network dataset then counts one
person for both, `person_refs`) or "different people". Each step is audited.
"""

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from engage.accounts.http import organisation_id_of
from engage.accounts.models import Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import origin, record
from engage.cases.models import Case, Person, PossibleDuplicate, SearchToken
from engage.cases.search import identity_digests
from engage.lib.crypto import blind_index

Reason = PossibleDuplicate.Reason
Decision = PossibleDuplicate.Decision


@dataclass(frozen=True)
class Match:
    """A person of the organisation who may be the one being registered, and why."""

    person_id: uuid.UUID
    reasons: tuple[str, ...]


class PossibleDuplicateFound(Exception):
    """Raised instead of saving a referral whose person may already be known."""

    def __init__(self, matches: list[Match]):
        super().__init__("possible duplicate")
        self.matches = matches

    @property
    def confirmation(self) -> str:
        return confirmation(self.matches)


def confirmation(matches: Iterable[Match]) -> str:
    """What the user sends back to say "a different person" after this warning: it stands
    for exactly these matches and reasons (a form changed since asks again: a document found
    to match too is new evidence) and, keyed, names none."""
    found = ";".join(sorted(f"{match.person_id}:{','.join(match.reasons)}" for match in matches))
    return blind_index("duplicate-confirmation", found)[:32]


def find(organisation_id: uuid.UUID, person: Mapping[str, Any]) -> list[Match]:
    """Return the organisation's people who may be `person` (identity fields), in one query."""
    wanted = identity_digests(organisation_id, person)
    if not wanted:
        return []
    reasons: dict[uuid.UUID, set[str]] = defaultdict(set)
    for person_id, value in SearchToken.objects.filter(
        organisation_id=organisation_id, digest__in=list(wanted)
    ).values_list("person_id", "digest"):
        reasons[person_id].add(wanted[value])
    order = list(Reason.values)
    return [
        Match(person_id, tuple(reason for reason in order if reason in found))
        for person_id, found in sorted(reasons.items(), key=lambda item: str(item[0]))
    ]


def visible_people(user: User) -> QuerySet[Person]:
    """The people `user` may open: the clients of their visible cases and those clients'
    household members."""
    cases = Case.objects.visible_to(user)
    return Person.objects.filter(
        Q(pk__in=cases.values("person_id"))
        | Q(household__in=cases.filter(household__isnull=False).values("household_id"))
    )


@dataclass
class DuplicateWarning:
    """What the person registering is told: never more than they may open."""

    reasons: list[str]
    own_cases: list[Case] = field(default_factory=list)
    hidden: bool = False
    ask: User | None = None

    @property
    def reason_text(self) -> str:
        labels = dict(Reason.choices)
        return str(get_text_list([str(labels[r]) for r in self.reasons], _("and")))

    @property
    def message(self) -> str:
        if self.hidden and self.ask is not None:
            return _(
                "Someone with %(reasons)s is already known to your organisation, in a caseload "
                "you cannot open. Ask your supervisor, %(name)s, whether this is the same "
                "person before you register them again."
            ) % {"reasons": self.reason_text, "name": self.ask.get_full_name() or self.ask}
        if self.hidden:
            return _(
                "Someone with %(reasons)s is already known to your organisation, in a caseload "
                "you cannot open. Ask a supervisor of your organisation whether this is the "
                "same person before you register them again."
            ) % {"reasons": self.reason_text}
        return _(
            "Someone with %(reasons)s is already registered, in a case you can open. Check it "
            "before you register them again."
        ) % {"reasons": self.reason_text}


def _supervisor_of(user: User) -> User | None:
    team = user.team
    if team is None or team.leader_id is None or team.leader_id == user.pk:
        return None
    leader = team.leader
    return leader if leader is not None and leader.is_active else None


def warning_for(
    user: User, matches: list[Match], *, request: HttpRequest | None = None
) -> DuplicateWarning:
    """Describe `matches` to `user` (their own cases by reference, others only as known), and
    record in the audit log that they were told (the check answers "is this person known?",
    so its use is traceable)."""
    ids = [match.person_id for match in matches]
    visible = Case.objects.visible_to(user)
    own_cases = list(
        visible.filter(Q(person_id__in=ids) | Q(household__members__in=ids))
        .select_related("person")
        .distinct()
        .order_by("-referral_date", "reference")
    )
    seen = set(visible_people(user).filter(pk__in=ids).values_list("pk", flat=True))
    reasons = sorted(
        {reason for match in matches for reason in match.reasons}, key=list(Reason.values).index
    )
    # One statement however many people matched.
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor_id=user.pk,
            actor_role=user.role,
            organisation_id=user.organisation_id,
            action=AuditEvent.Action.VIEW,
            object_type=Person._meta.label_lower,
            object_id=match.person_id,
            detail=f"duplicate_warning:{','.join(match.reasons)}",
            **origin(request),
        )
        for match in matches
    )
    hidden = any(match.person_id not in seen for match in matches)
    return DuplicateWarning(
        reasons=reasons,
        own_cases=own_cases,
        hidden=hidden,
        ask=_supervisor_of(user) if hidden else None,
    )


def flag(person: Person, matches: Iterable[Match], *, by: User) -> list[PossibleDuplicate]:
    """Flag `person` (just registered, said to be someone else) with each match, for a
    supervisor to decide; within the caller's transaction."""
    flags = []
    for match in matches:
        if match.person_id == person.pk:
            continue
        item = PossibleDuplicate.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            other_id=match.person_id,
            reasons=list(match.reasons),
            flagged_by=by,
        )
        record(by, AuditEvent.Action.CREATE, item, detail=",".join(match.reasons))
        flags.append(item)
    return flags


def for_user(user: User) -> QuerySet[PossibleDuplicate]:
    """The flags `user` may see: those where they may open at least one of the two records."""
    if user.role not in (Role.SUPERVISOR, Role.ORG_ADMIN):
        return PossibleDuplicate.objects.none()
    people = visible_people(user).values("pk")
    return PossibleDuplicate.objects.filter(organisation_id=organisation_id_of(user)).filter(
        Q(person__in=people) | Q(other__in=people)
    )


def can_decide(user: User, item: PossibleDuplicate) -> bool:
    """A supervisor who may open both records decides (and may change their mind)."""
    if user.role != Role.SUPERVISOR or item.organisation_id != user.organisation_id:
        return False
    pair = {item.person_id, item.other_id}
    return visible_people(user).filter(pk__in=pair).count() == len(pair)


@transaction.atomic
def decide(item: PossibleDuplicate, *, decision: str, by: User) -> PossibleDuplicate:
    """Record whether the two records are the same person or different people (audited)."""
    if decision not in (Decision.SAME, Decision.DIFFERENT):
        raise ValidationError({"decision": _("Choose the same person or different people.")})
    if not can_decide(by, item):
        raise ValidationError(_("Only a supervisor who can open both records can decide."))
    item = PossibleDuplicate.objects.select_for_update().get(pk=item.pk)
    item.decision = decision
    item.decided_by = by
    item.decided_at = timezone.now()
    item.save(update_fields=["decision", "decided_by", "decided_at"])
    record(by, AuditEvent.Action.UPDATE, item, detail=decision)
    return item


@dataclass
class Side:
    """One record of a pair as `user` may see it: nothing when they may not open it. A
    household member with no case of their own is seen through the cases of their household
    (`through`): showing them is a read of those cases (R21)."""

    person: Person | None
    cases: list[Case] = field(default_factory=list)
    through: list[Case] = field(default_factory=list)


@dataclass
class Pair:
    item: PossibleDuplicate
    known: Side
    new: Side
    can_decide: bool


def listed(user: User) -> QuerySet[PossibleDuplicate]:
    """The flags `user` may see, those waiting for a decision first, each the newest first."""
    waiting = ExpressionWrapper(Q(decision=Decision.OPEN), output_field=BooleanField())
    return (
        for_user(user)
        .select_related("person", "other", "flagged_by", "decided_by")
        .order_by(waiting.desc(), "-created_at", "pk")
    )


def pairs_for(user: User, items: Iterable[PossibleDuplicate] | None = None) -> list[Pair]:
    """The pairs of `items` (by default every flag `listed` for `user`), each side shown only
    if they may open it; a fixed number of queries."""
    items = list(listed(user) if items is None else items)
    ids = {item.person_id for item in items} | {item.other_id for item in items}
    seen = set(visible_people(user).filter(pk__in=ids).values_list("pk", flat=True))
    cases_of: dict[uuid.UUID, list[Case]] = defaultdict(list)
    of_household: dict[uuid.UUID, list[Case]] = defaultdict(list)
    households = Person.objects.filter(pk__in=seen, household__isnull=False).values("household")
    for case in (
        Case.objects.visible_to(user)
        .filter(Q(person_id__in=seen) | Q(household__in=households))
        .order_by("referral_date")
    ):
        if case.person_id in seen:
            cases_of[case.person_id].append(case)
        if case.household_id is not None:
            of_household[case.household_id].append(case)

    def side(person: Person) -> Side:
        if person.pk not in seen:
            return Side(None)
        own = cases_of[person.pk]
        through = [] if own or person.household_id is None else of_household[person.household_id]
        return Side(person, own, through)

    return [
        Pair(
            item,
            known=side(item.other),
            new=side(item.person),
            can_decide=user.role == Role.SUPERVISOR and {item.person_id, item.other_id} <= seen,
        )
        for item in items
    ]


def waiting_count(user: User) -> int:
    """How many flags wait for a decision among those `user` may see: `for_user`'s open flags,
    counted in two small queries instead of one large one.

    On the supervisor's home, the count as one query (the flags of either record among the
    people the user may open, each side a subquery of the cases in their scope) took 8 ms to
    build for an answer that is nearly always none (issue 17's bench). The organisation's open
    flags are few and read first, as pairs of ids; who of them the user may open is asked only
    when there are some.
    """
    if user.role not in (Role.SUPERVISOR, Role.ORG_ADMIN):
        return 0
    pairs = list(
        PossibleDuplicate.objects.filter(
            organisation_id=organisation_id_of(user), decision=Decision.OPEN
        ).values_list("person_id", "other_id")
    )
    if not pairs:
        return 0
    people = {person for pair in pairs for person in pair}
    seen = set(visible_people(user).filter(pk__in=people).values_list("pk", flat=True))
    return sum(1 for person, other in pairs if person in seen or other in seen)


def get_for_user(user: User, pk: uuid.UUID) -> PossibleDuplicate:
    """One flag `user` may see, or 404."""
    from django.shortcuts import get_object_or_404

    flag: PossibleDuplicate = get_object_or_404(for_user(user), pk=pk)
    return flag


def same_person_groups(organisation_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
    """Map each person decided to be the same as an earlier record to that first record's id
    (linked records form groups: A=B and B=C make one person, named by the earliest)."""
    pairs = PossibleDuplicate.objects.filter(
        organisation_id=organisation_id, decision=Decision.SAME
    ).values_list("person_id", "other_id", "person__created_at", "other__created_at")
    parent: dict[uuid.UUID, uuid.UUID] = {}
    created: dict[uuid.UUID, datetime.datetime] = {}

    def root(node: uuid.UUID) -> uuid.UUID:
        while parent.get(node, node) != node:
            node = parent[node]
        return node

    for person_id, other_id, person_at, other_at in pairs:
        created[person_id], created[other_id] = person_at, other_at
        first, second = sorted(
            (root(person_id), root(other_id)), key=lambda n: (created[n], str(n))
        )
        if first != second:
            parent[second] = first
    return {node: root(node) for node in parent}
