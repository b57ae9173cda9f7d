"""The hub's submission tokens (the network coordinator's): make one for a pilot's own
instance (shown once), see them, revoke one."""

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.models import Role
from engage.accounts.permissions import recent_authentication_required, role_required
from engage.api import submission_tokens
from engage.api.forms import SubmissionTokenForm
from engage.api.models import SubmissionToken
from engage.lib.forms import run_service

PAGE_SIZE = 25


@role_required(Role.NETWORK_COORDINATOR)
def token_list(request: HttpRequest) -> HttpResponse:
    # A pilot's tokens are replaced as they expire, and the revoked and expired ones stay listed.
    listed = SubmissionToken.objects.select_related("created_by").order_by(
        "pilot", "-created_at", "pk"
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "api/submission_tokens.html", {"page": page})


@role_required(Role.NETWORK_COORDINATOR)
@recent_authentication_required
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SubmissionTokenForm(request.POST or None)
    if done := run_service(
        request,
        form,
        lambda: submission_tokens.create_submission_token(
            pilot=form.cleaned_data["pilot"],
            name=form.cleaned_data["name"],
            expires_on=form.cleaned_data["expires_on"],
            by=request.user,
            request=request,
        ),
    ):
        token, secret = done.result
        return render(request, "api/submission_token_created.html",
                      {"token": token, "secret": secret})  # fmt: skip
    return render(request, "api/submission_token_form.html", {"form": form})


@require_POST
@role_required(Role.NETWORK_COORDINATOR)
def token_revoke(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    token = get_object_or_404(SubmissionToken, pk=pk)
    submission_tokens.revoke_submission_token(token, by=request.user, request=request)
    messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("submission_tokens:list")
