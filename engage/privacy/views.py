"""Erasure at the person's request, by a supervisor who has just confirmed their password."""

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.models import Role
from engage.accounts.permissions import recent_authentication_required, role_required
from engage.cases.access import get_case_object
from engage.privacy.services import erase_person
from engage.sharing.models import SubjectRequest


@role_required(Role.SUPERVISOR)
@recent_authentication_required
def erase(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    entry = get_case_object(request.user, SubjectRequest, pk)
    if entry.kind != SubjectRequest.Kind.ERASURE or entry.person.erased_at is not None:
        raise Http404
    if request.method == "POST":
        erase_person(entry.person, by=request.user, reason="request")
        SubjectRequest.objects.filter(pk=entry.pk).update(completed_at=timezone.now())
        messages.success(request, _("The person's identity and notes are erased."))
        return redirect("sharing:case", entry.case_id)
    return render(request, "privacy/erase.html", {"entry": entry, "case": entry.case})
