"""The API tokens page of each person's account: make a token (shown once), see, revoke."""

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.accounts import mfa
from engage.accounts.permissions import ANY_STAFF, recent_authentication_required, role_required
from engage.api import tokens
from engage.api.forms import TokenForm
from engage.api.models import PersonalAccessToken
from engage.lib.forms import run_service


@role_required(*ANY_STAFF)
def token_list(request: HttpRequest) -> HttpResponse:
    user_tokens = PersonalAccessToken.objects.filter(user=request.user).select_related("user")
    return render(request, "api/token_list.html", {"tokens": user_tokens})


@role_required(*ANY_STAFF)
@recent_authentication_required
def token_create(request: HttpRequest) -> HttpResponse:
    # The middleware holds unverified sessions already; a token outlives the session, so it
    # is refused here too, should that ever change.
    if mfa.required() and not request.user.is_verified():
        raise Http404
    form = TokenForm(request.POST or None)
    if done := run_service(
        request,
        form,
        lambda: tokens.create_token(
            request.user,
            name=form.cleaned_data["name"],
            expires_on=form.cleaned_data["expires_on"],
            request=request,
        ),
    ):
        token, secret = done.result
        return render(request, "api/token_created.html", {"token": token, "secret": secret})
    return render(request, "api/token_form.html", {"form": form})


@require_POST
@role_required(*ANY_STAFF)
def token_revoke(request: HttpRequest, pk: UUID) -> HttpResponse:
    token = get_object_or_404(PersonalAccessToken, user=request.user, pk=pk)
    tokens.revoke_token(token, by=request.user, request=request)
    messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
