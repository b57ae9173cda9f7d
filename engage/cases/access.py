"""Loading case records for a user: the only doors into case data, each one scoped."""

from uuid import UUID

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from engage.accounts.models import Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases.models import Case

# Case managers and supervisors do the case work; an organisation admin sees the organisation's
# cases (and can reassign them) but does not write in them.
CASE_WORKERS = (Role.CASE_MANAGER, Role.SUPERVISOR)
CASE_READERS = (Role.CASE_MANAGER, Role.SUPERVISOR, Role.ORG_ADMIN)


def get_case_for_user(user: User, pk: UUID, *, for_work: bool = False) -> Case:
    """Return the case if `user` may see it, else 404 (whether or not it exists).

    With `for_work`, also require a role that writes in cases (404 for an admin).
    """
    case = get_object_or_404(
        Case.objects.visible_to(user).select_related(
            "person", "organisation", "case_manager", "city", "household"
        ),
        pk=pk,
    )
    if for_work and user.role not in CASE_WORKERS:
        raise Http404
    return case


def get_case_object(user: User, model, pk: UUID, *, case_path: str = "case", for_work: bool = True):
    """Return an object that belongs to a case the user may see (a plan, goal, action...), or 404."""
    visible = Case.objects.visible_to(user).values("pk")
    obj = get_object_or_404(model.objects.filter(**{f"{case_path}__in": visible}), pk=pk)
    if for_work and user.role not in CASE_WORKERS:
        raise Http404
    return obj


def read_case(request: HttpRequest, pk: UUID) -> Case:
    """Load a case to show it, and record the read in the audit log."""
    case = get_case_for_user(request.user, pk)
    record(request.user, AuditEvent.Action.VIEW, case, request=request)
    return case
