"""Registering, naming, removing and signing in with security keys (see security_keys.py).

The WebAuthn ceremonies are django-otp-webauthn's JSON views, subclassed here only to declare
their roles, refuse what our policy refuses, audit failures and say what failed in Engage's
words (`_InOurWords`). Their JavaScript is the library's, served from our static files; it
needs no inline script (the configuration is a `json_script` block, which the browser does not
run).
"""

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware import csrf
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as library

from engage.accounts import security_keys
from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.permissions import ANY_STAFF, recent_authentication_required, role_required

staff = method_decorator(role_required(*ANY_STAFF), name="dispatch")


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return ""
    return target


def _configuration(request: HttpRequest) -> dict[str, Any]:
    """What the library's scripts read from the page (as `json_script`)."""
    return {
        "autocompleteLoginFieldSelector": None,
        # Not input[name=next]: the language switcher in the header has one too.
        "nextFieldSelector": "#key-next",
        "csrfToken": csrf.get_token(request),
        "beginRegistrationUrl": reverse("accounts:key_register_begin"),
        "completeRegistrationUrl": reverse("accounts:key_register_complete"),
        "beginAuthenticationUrl": reverse("accounts:key_auth_begin"),
        "completeAuthenticationUrl": reverse("accounts:key_auth_complete"),
    }


@role_required(*ANY_STAFF)
@recent_authentication_required
def key_register(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "configuration": _configuration(request),
        "next": _next(request),
        "required": security_keys.key_required(request.user),
        "keys": security_keys.keys_of(request.user),
        "name_length": security_keys.NAME_LENGTH,
    }
    return render(request, "accounts/webauthn/register.html", context)


@require_POST
@role_required(*ANY_STAFF)
def key_name(request: AuthenticatedHttpRequest) -> HttpResponse:
    key = security_keys.key_for(request.user, request.POST.get("key", ""))
    if key is None:
        raise Http404
    security_keys.rename(key, request.POST.get("name", ""))
    messages.success(request, _("The security key is saved as “%(name)s”.") % {"name": key.name})
    return redirect(_next(request) or "accounts:mfa_codes")


@role_required(*ANY_STAFF)
@recent_authentication_required
def key_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask, then remove one of the user's keys (the key named by its hash, in the query)."""
    key = security_keys.key_for(request.user, request.GET.get("key", ""))
    if key is None:
        raise Http404
    if request.method == "POST":
        try:
            security_keys.remove(key, by=request.user, request=request)
        except security_keys.LastKeyError:
            messages.error(
                request,
                _("Your role signs in with a security key: add another one before removing it."),
            )
        else:
            messages.success(request, _("The security key “%(name)s” is removed.") % {"name": key})
        return redirect("accounts:mfa_codes")
    return render(request, "accounts/webauthn/remove.html", {"key": key})


@role_required(*ANY_STAFF)
def key_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not security_keys.has_key(request.user):
        return redirect("accounts:mfa_verify")
    context = {
        "configuration": _configuration(request),
        "next": _next(request),
        "required": security_keys.key_required(request.user),
    }
    return render(request, "accounts/webauthn/verify.html", context)


class _InOurWords:
    """A failed ceremony answers in Engage's words and the person's language
    (`security_keys.shown_error`); with `audited`, the failure is audited by its code."""

    registering = False
    audited = False
    request: Any  # the view's (the library is untyped)

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, exceptions.OTPWebAuthnApiError):
            if self.audited:
                security_keys.failed(self.request, exc)
            exc.detail = security_keys.shown_error(exc, registering=self.registering)
        response: HttpResponse = super().handle_exception(exc)  # type: ignore[misc]
        return response


@staff
class BeginRegistration(_InOurWords, library.BeginCredentialRegistrationView):  # type: ignore[misc]  # untyped library
    registering = True

    def check_can_register(self) -> None:
        refusal = security_keys.registration_refused(self.request)
        if refusal is not None:
            raise refusal


@staff
class CompleteRegistration(_InOurWords, library.CompleteCredentialRegistrationView):  # type: ignore[misc]  # untyped library
    registering = audited = True
    check_can_register = BeginRegistration.check_can_register

    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        response = super().post(*args, **kwargs)
        key = security_keys.keys_of(self.request.user).get(pk=json.loads(response.content)["id"])
        # The page names the key next, by this hash (never by the integer primary key).
        return JsonResponse({"id": key.pk, "key": key.credential_id_sha256})


@staff
class BeginAuthentication(_InOurWords, library.BeginCredentialAuthenticationView):  # type: ignore[misc]  # untyped library
    pass


@staff
class CompleteAuthentication(_InOurWords, library.CompleteCredentialAuthenticationView):  # type: ignore[misc]  # untyped library
    audited = True

    def get_success_url(self) -> str:
        return self.get_redirect_url() or reverse("dashboard:home")


@staff
class Catalog(JavaScriptCatalog):
    """The library's translated messages for its scripts."""

    packages = ["django_otp_webauthn"]


# Included under accounts/two-step/keys/ by accounts/urls.py.
urlpatterns = [
    path("", key_register, name="key_register"),
    path("name/", key_name, name="key_name"),
    path("remove/", key_remove, name="key_remove"),
    path("verify/", key_verify, name="key_verify"),
    path("register/begin/", BeginRegistration.as_view(), name="key_register_begin"),
    path("register/complete/", CompleteRegistration.as_view(), name="key_register_complete"),
    path("sign-in/begin/", BeginAuthentication.as_view(), name="key_auth_begin"),
    path("sign-in/complete/", CompleteAuthentication.as_view(), name="key_auth_complete"),
    path("i18n.js", Catalog.as_view(), name="key_i18n"),
]
