"""Security keys and passkeys (WebAuthn) as the second step of sign-in (R17).

django-otp-webauthn does the WebAuthn ceremonies and keeps each key as a django-otp device
(`WebAuthnCredential`), so `user.is_verified()` and `otp_login` work for keys as for the
authenticator app. What is Engage's own is here: the relying party settings, who must use a
key, the names people give their keys, removal, and the audit entries.

Policy. The roles that can take bulk data out of Engage (`KEY_REQUIRED_ROLES`) must sign in
with a key whenever two-step verification is mandatory: codes from an authenticator app can be
phished, a key answers only to Engage's own address. Once such a person has a key, an app code
or a recovery code no longer completes their sign-in; until they have one, they are sent to
register it (after their app code, if they already had an app). Everybody else may use either.
"""

from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper as LibraryHelper
from django_otp_webauthn.models import WebAuthnCredential

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.models import Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record

# The roles with a bulk exit: the network dataset (org admin), indicator reports over a whole
# pilot (supervisor, org admin) or the network (coordinator). A case manager's only file exit
# is one person's own data, for that person, through the sharing service.
# tests/accounts/test_security_keys.py checks this against the roles of the export views.
KEY_REQUIRED_ROLES = (Role.SUPERVISOR, Role.ORG_ADMIN, Role.NETWORK_COORDINATOR)

DEFAULT_NAME = gettext_lazy("Security key")  # stored in the language of the person registering
NAME_LENGTH = 64


def relying_party_id(request: HttpRequest) -> str:
    """The host name keys are bound to: the setting, or in development the request's host."""
    if settings.ENGAGE_WEBAUTHN_RP_ID:
        return settings.ENGAGE_WEBAUTHN_RP_ID
    return request.get_host().rsplit(":", 1)[0].strip("[]")


class WebAuthnHelper(LibraryHelper):  # type: ignore[misc]  # untyped library
    """The library's helper, with the origins worked out from the relying party id."""

    def get_allowed_origins(self) -> list[str]:
        if not settings.ENGAGE_WEBAUTHN_RP_ID:
            # Development only (production defaults to its host name): the development and
            # test servers run on any port of localhost.
            return [f"{self.request.scheme}://{self.request.get_host()}"]
        return [f"https://{self.get_relying_party_domain()}"]

    def register_complete(
        self, user: User, state: dict[str, Any], data: dict[str, Any]
    ) -> WebAuthnCredential:
        key = super().register_complete(user, state, data)
        enrolled(self.request, key)
        return key


def key_required(user: User) -> bool:
    return bool(settings.ENGAGE_MFA_REQUIRED) and user.has_role(*KEY_REQUIRED_ROLES)


def keys_of(user: User) -> QuerySet[WebAuthnCredential]:
    """Return the user's keys, newest first (every query of keys starts from the user)."""
    keys: QuerySet[WebAuthnCredential] = WebAuthnCredential.objects.filter(
        user=user, confirmed=True
    )
    return keys.order_by("-created_at")


def has_key(user: User) -> bool:
    return keys_of(user).exists()


def verified_with_key(user: User) -> bool:
    return user.is_verified() and isinstance(getattr(user, "otp_device", None), WebAuthnCredential)


def key_for(user: User, key_hash: str) -> WebAuthnCredential | None:
    """The user's key named by `key_hash` (the SHA-256 of its credential id), or None.

    Keys are named in forms by that hash, not by the library's integer primary key: the
    credential id is random and the hash is already stored and indexed.
    """
    return keys_of(user).filter(credential_id_sha256=key_hash).first()


@transaction.atomic
def enrolled(request: AuthenticatedHttpRequest, key: WebAuthnCredential) -> None:
    """Name and audit a key just registered; it verifies the session of a key-required user."""
    count = keys_of(key.user).count()
    key.name = str(DEFAULT_NAME) if count <= 1 else f"{DEFAULT_NAME} {count}"
    key.save(update_fields=["name"])
    if key_required(key.user) and not verified_with_key(request.user):
        # The registration ceremony proved the key is in their hands, right now.
        otp_login(request, key)
    record(key.user, AuditEvent.Action.PERMISSION_CHANGE, key.user, detail="webauthn_enrolled")


def rename(key: WebAuthnCredential, name: str) -> None:
    key.name = name.strip()[:NAME_LENGTH] or str(DEFAULT_NAME)
    key.save(update_fields=["name"])


class LastKeyError(Exception):
    """A key-required user may not remove their only key."""


@transaction.atomic
def remove(key: WebAuthnCredential, *, by: User, request: HttpRequest | None = None) -> None:
    # The user's row, locked: of two removals at once the second counts what the first left,
    # so a key-required user is never left with none (their password alone could then add one).
    user = User.objects.select_for_update().get(pk=key.user_id)
    if key_required(user) and keys_of(user).count() <= 1:
        raise LastKeyError
    key.delete()
    record(
        by, AuditEvent.Action.PERMISSION_CHANGE, user, detail="webauthn_removed", request=request
    )


def failed(request: HttpRequest, error: exceptions.OTPWebAuthnApiError) -> None:
    """Audit a key that did not verify (the error's code only: nothing the browser sent)."""
    user = request.user if request.user.is_authenticated else None
    record(
        None,
        AuditEvent.Action.LOGIN_FAILED,
        user,
        detail=f"webauthn {error.code}"[:200],
        request=request,
    )


# What the person is told when a key does not work, by the library's error code. Its own
# texts are in English or in four of the network's languages, and some are a developer's
# words ("Invalid CBOR data provided."); the audit log keeps the code (`failed`).
KEY_FIRST = "key_first"  # Engage's own refusal (`registration_refused`): its text is shown
# Not one of yours, whether another account's or no one's: which, would tell a stranger's key
# from an unknown one.
NOT_YOURS = gettext_lazy(
    "This security key is not registered for your account. Use one of your own keys."
)
KEY_ERRORS = {
    "invalid_state": gettext_lazy(
        "The security key answered too late, or the page was opened twice. Press the button again."
    ),
    "credential_not_found": NOT_YOURS,
    "credential_disabled": gettext_lazy(
        "This security key is turned off. Use another of your keys."
    ),
    "credential_user_mismatch": NOT_YOURS,
    "user_disabled": gettext_lazy("This account is turned off. Ask your organisation admin."),
    "not_authenticated": gettext_lazy("Your session has ended. Sign in again."),
    "user_not_verified": gettext_lazy("Finish signing in with your second step first."),
}
KEY_NOT_USED = gettext_lazy(
    "The security key could not be used. Try again, or use another of your keys."
)
KEY_NOT_REGISTERED = gettext_lazy(
    "The security key could not be registered. Try again, or use another key."
)


def shown_error(error: exceptions.OTPWebAuthnApiError, *, registering: bool) -> str:
    """What the key's page says of `error`, in the person's language."""
    if error.code == KEY_FIRST:
        return str(error.detail)
    default = KEY_NOT_REGISTERED if registering else KEY_NOT_USED
    return str(KEY_ERRORS.get(error.code, default))


def registration_refused(request: HttpRequest) -> exceptions.OTPWebAuthnApiError | None:
    """Why the signed-in user may not register a key now, or None.

    Someone who must use a key and has one adds another only from a session their key verified,
    so a phished app code cannot add the attacker's key. And only with the password typed in
    the last minutes (R20), as for new recovery codes: a key is a second step that lasts, and a
    stolen session added its thief's (docs/security.md, item 51). The page asks for it first.
    """
    from engage.accounts.permissions import recently_authenticated

    user = cast(User, request.user)
    if key_required(user) and has_key(user) and not verified_with_key(user):
        return exceptions.NotVerified(
            detail=_("Sign in with one of your security keys first."), code=KEY_FIRST
        )
    if not recently_authenticated(request):
        return exceptions.NotVerified(
            detail=_("Type your password again first: reload this page."), code=KEY_FIRST
        )
    return None


# Paths, as URL names, that a session still on its second step may reach.
# The password prompt too: adding a key asks for it (`registration_refused`).
ALWAYS = ("accounts:logout", "set_language", "accounts:key_i18n", "accounts:confirm_password")
VERIFY_WITH_KEY = ("accounts:key_verify", "accounts:key_auth_begin", "accounts:key_auth_complete")
REGISTER_KEY = (
    "accounts:key_register",
    "accounts:key_register_begin",
    "accounts:key_register_complete",
    "accounts:key_name",
)


def paths(*names: str) -> set[str]:
    return {reverse(name) for name in names}


def second_step_target(user: User) -> tuple[str, tuple[str, ...]] | None:
    """For a key-required user: where their sign-in must go on, and what they may reach there."""
    from engage.accounts import mfa

    if has_key(user):
        if verified_with_key(user):
            return None
        return "accounts:key_verify", VERIFY_WITH_KEY
    if not user.is_verified() and mfa.confirmed_device(user):
        return "accounts:mfa_verify", ("accounts:mfa_verify",)
    return "accounts:key_register", REGISTER_KEY


class SecurityKeyRequiredMiddleware:
    """Hold a key-required user on the second step until a key of theirs verified the session.

    MFARequiredMiddleware leaves these users to this one (see `mfa_pending` there).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and key_required(user):
            step = second_step_target(user)
            if step is not None:
                target, reachable = step
                if request.path not in paths(*ALWAYS, *reachable):
                    query = urlencode({"next": request.get_full_path()})
                    return redirect(f"{reverse(target)}?{query}")
        return self.get_response(request)
