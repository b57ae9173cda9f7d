"""Setting up and doing the second step of sign-in."""

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from engage.accounts import mfa, security_keys
from engage.accounts.forms import TokenForm, VerifyForm
from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.models import Role, User
from engage.accounts.permissions import (
    ANY_STAFF,
    recent_authentication_required,
    role_required,
    step_up_needed,
)
from engage.audit.models import AuditEvent
from engage.audit.services import record


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or reverse("dashboard:home")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return reverse("dashboard:home")
    return target


@sensitive_post_parameters("token")
@role_required(*ANY_STAFF)
def mfa_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    if mfa.confirmed_device(request.user) and request.user.is_verified():
        return redirect("accounts:mfa_codes")
    if mfa.confirmed_device(request.user):
        return redirect("accounts:mfa_verify")
    if not request.user.is_verified() and security_keys.has_key(request.user):
        # Their key is their second step: the password alone adds no app beside it.
        return redirect(f"{reverse('accounts:key_verify')}?{urlencode({'next': _next(request)})}")
    if request.user.is_verified() and (refused := step_up_needed(request)) is not None:
        # A second step they already have (a key) verified the session: an app is one more,
        # which outlasts the session and replaces the recovery codes, so the password is asked
        # again, as for adding a key (docs/security.md, item 51): else a session left open
        # set up its finder's app.
        return refused
    device = mfa.pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_setup(request, device, form.cleaned_data["token"])
        if codes is not None:
            return render(
                request, "accounts/mfa_codes.html", {"codes": codes, "next": _next(request)}
            )
        form.add_error(
            "token", _("This code is not right. Check your phone's clock and try again.")
        )
    context = {
        "form": form,
        "qr": mfa.qr_svg(device),
        "secret": mfa.secret_base32(device),
        "next": _next(request),
    }
    return render(request, "accounts/mfa_setup.html", context)


@sensitive_post_parameters("token")
@role_required(*ANY_STAFF)
def mfa_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    device = mfa.confirmed_device(request.user)
    if device is None and security_keys.has_key(request.user):
        return redirect(f"{reverse('accounts:key_verify')}?{urlencode({'next': _next(request)})}")
    if device is None:
        return redirect("accounts:mfa_setup")
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if mfa.verify_token(device, token):
            otp_login(request, device)
            return redirect(_next(request))
        if mfa.use_recovery_code(request.user, token):
            otp_login(request, device)
            record(request.user, AuditEvent.Action.LOGIN, request.user, detail="recovery_code")
            messages.warning(
                request,
                _("You used a recovery code. Set up your authenticator again if it is lost."),
            )
            return redirect(_next(request))
        record(None, AuditEvent.Action.LOGIN_FAILED, request.user, detail="mfa", request=request)
        form.add_error("token", _("This code is not right, or was already used."))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next(request)})


@role_required(*ANY_STAFF)
def mfa_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "accounts/mfa_manage.html", {"device": mfa.confirmed_device(request.user)}
    )


@require_POST
@role_required(*ANY_STAFF)
@recent_authentication_required
def mfa_new_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    codes = mfa.new_recovery_codes(request.user)
    record(request.user, AuditEvent.Action.PERMISSION_CHANGE, request.user, detail="mfa_codes")
    return render(
        request, "accounts/mfa_codes.html", {"codes": codes, "next": reverse("dashboard:home")}
    )


@role_required(Role.ORG_ADMIN)
@recent_authentication_required
def mfa_reset(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """An admin removes a colleague's lost authenticator; they set up a new one at sign-in."""
    colleague = get_object_or_404(User, organisation=request.user.organisation, pk=pk)
    if request.method == "POST":
        mfa.reset(colleague, by=request.user)
        messages.success(
            request, _("Two-step verification reset for %(name)s.") % {"name": colleague}
        )
        return redirect("accounts:user_edit", colleague.pk)
    return render(request, "accounts/mfa_reset.html", {"colleague": colleague})
