"""Loading case records for a user: the only doors into case data, each one scoped.

Each door records the read of the case file it opens (R21): a page or an API response that
loads a case, or a record of one, through these functions is audited without the view doing
anything, and once per request however often it loads it. What a page shows without loading it
here (the cases of a list, a record loaded with its case) is recorded with `record_case_reads`,
the one helper for an audited read of case records; nothing else calls `audit.reads`.
"""

from collections.abc import Callable, Iterable
from typing import TypeVar
from uuid import UUID

from django.db.models import F, Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from engage.accounts.http import organisation_id_of
from engage.accounts.models import Role, User
from engage.audit.reads import record_read
from engage.cases.models import Case

# Case managers and supervisors do the case work; an organisation admin sees the organisation's
# cases (and can reassign them) but does not write in them.
CASE_WORKERS = (Role.CASE_MANAGER, Role.SUPERVISOR)
CASE_READERS = (Role.CASE_MANAGER, Role.SUPERVISOR, Role.ORG_ADMIN)


def get_case_for_user(
    user: User,
    pk: UUID,
    *,
    for_work: bool = False,
    loading: Callable[[QuerySet[Case]], QuerySet[Case]] | None = None,
) -> Case:
    """Return the case if `user` may see it, else 404 (whether or not it exists).

    With `for_work`, also require a role that writes in cases (404 for an admin). `loading`
    adds to the query what the page reads with the case (annotations, related records), in
    the same query.
    """
    cases = Case.objects.visible_to(user).select_related(
        "person", "organisation", "case_manager", "city", "household"
    )
    case: Case = get_object_or_404(loading(cases) if loading else cases, pk=pk)
    if for_work and user.role not in CASE_WORKERS:
        raise Http404
    record_case_reads(user, [case])
    return case


_Record = TypeVar("_Record", bound=Model)


def get_case_object(
    user: User,
    model: type[_Record],
    pk: UUID,
    *,
    case_path: str = "case",
    for_work: bool = True,
) -> _Record:
    """Return an object that belongs to a case the user may see (a plan, goal, action...), or 404."""
    visible = Case.objects.visible_to(user).values("pk")
    found = model._default_manager.filter(**{f"{case_path}__in": visible}).annotate(
        _read_case_id=F(case_path)
    )
    obj = get_object_or_404(found, pk=pk)  # with its `_read_case_id`
    if for_work and user.role not in CASE_WORKERS:
        raise Http404
    # The case's id and organisation are all the audit entry needs: no query for the case.
    # (Someone without an organisation sees no case: the 404 above came first.)
    organisation_id = organisation_id_of(user)
    record_case_reads(user, [Case(pk=obj._read_case_id, organisation_id=organisation_id)])
    record: _Record = obj
    return record


def record_case_reads(user: User, records: Iterable[Model]) -> None:
    """Record that `user` was shown these case records: cases (a list page, an API list) or a
    case with records of it (a referral, a liaison record), once each per request (R21)."""
    record_read(user, records)
