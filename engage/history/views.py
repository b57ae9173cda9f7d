"""Who changed what: a case's own history, and the organisation's changes for its admin."""

from uuid import UUID

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.models import Role
from engage.accounts.permissions import role_required
from engage.cases.access import CASE_READERS, CASE_WORKERS, get_case_for_user
from engage.cases.models import Case
from engage.history.models import Change
from engage.history.services import describe, hidden_from

PAGE_SIZE = 30


@role_required(*CASE_READERS)
def case_history(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """The case's changes; values (decrypted) only for the people working on the case."""
    case = get_case_for_user(request.user, pk)
    with_values = request.user.role in CASE_WORKERS
    changes = Change.objects.visible_to(request.user).for_case(case)
    page = Paginator(changes, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "case": case,
        "page": page,
        "entries": describe(
            page.object_list,
            with_values=with_values,
            hidden=hidden_from(request.user, case, page.object_list) if with_values else None,
        ),
        "with_values": with_values,
    }
    return render(request, "history/case_history.html", context)


@role_required(Role.ORG_ADMIN)
def organisation_changes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every change in the organisation: which fields, who, when; never a value."""
    changes = Change.objects.visible_to(request.user)
    page = Paginator(changes, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = describe(page.object_list, with_values=False)
    references = dict(
        Case.objects.visible_to(request.user)
        .filter(pk__in={e.change.case_id for e in entries if e.change.case_id})
        .values_list("pk", "reference")
    )
    for entry in entries:
        entry.case_reference = references.get(entry.change.case_id, "")
    return render(request, "history/changes.html", {"page": page, "entries": entries})
