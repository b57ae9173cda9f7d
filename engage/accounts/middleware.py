import time
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _


class PasswordChangeRequiredMiddleware:
    """Send a user whose password was set by an admin to choose their own before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.must_change_password:
            allowed = {
                reverse("accounts:password_change"),
                reverse("accounts:logout"),
                reverse("set_language"),
            }
            if request.path not in allowed:
                return redirect("accounts:password_change")
        return self.get_response(request)


class MFARequiredMiddleware:
    """Until the second step is done, a signed-in user can only set it up or do it.

    A session that only knows the password reaches nothing else: every other URL sends it to
    the authenticator set-up (first time) or the code prompt.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from engage.accounts import mfa, security_keys

        user = request.user
        # Those who must use a security key are held by SecurityKeyRequiredMiddleware instead.
        if (
            user.is_authenticated
            and not user.is_verified()
            and mfa.required()
            and not security_keys.key_required(user)
        ):
            setup, verify = reverse("accounts:mfa_setup"), reverse("accounts:mfa_verify")
            allowed = {setup, verify, reverse("accounts:logout"), reverse("set_language")}
            allowed |= security_keys.paths(*security_keys.ALWAYS, *security_keys.VERIFY_WITH_KEY)
            if request.path not in allowed:
                target = verify if mfa.confirmed_device(user) else setup
                if target == setup and security_keys.has_key(user):
                    # A key is their second step (a supervisor's, kept after a move to case
                    # manager, say): a session that only knows the password may not set up an
                    # app of its own instead of using it.
                    target = reverse("accounts:key_verify")
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


STARTED_AT = "engage_started_at"
LAST_SEEN = "engage_last_seen"
# The notice offering to stay signed in shows this long before the idle sign-out.
WARN_SECONDS = 120
# The page's check of the time left: not activity (see SessionTimeoutMiddleware).
STATUS_PATH = reverse_lazy("accounts:session_status")


class SessionTimeoutMiddleware:
    """Sign out after 30 idle minutes, and after 12 hours whatever happens (R19).

    Django's session expiry moves forward each time the session is saved, so it cannot give
    both an idle limit and an absolute one; the two moments are kept in the session instead.
    The page's own check of the time left (`accounts:session_status`) is not activity: only
    what the person does, or their "Stay signed in", moves the idle limit.

    A request that arrives after a limit goes on signed out, so `LoginRequiredMiddleware`
    answers it: the sign-in page, a form kept to be sent again, or a 401 to a background
    request; the new session remembers whose session ended (`kept_forms`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from engage.accounts import kept_forms

        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(STARTED_AT, now)
            last = session.get(LAST_SEEN, now)
            idle = now - last > settings.ENGAGE_IDLE_MINUTES * 60
            if idle or now - started > settings.SESSION_COOKIE_AGE:
                user = request.user
                setattr(request, LIMIT_REACHED, True)  # read by those who hear the sign-out
                logout(request)
                kept_forms.remember_signed_out(request, user)
                messages.info(request, _("You were signed out after a while without activity."))
                return self.get_response(request)
            if kept_forms.settle(request):
                messages.warning(request, kept_forms.NOT_YOURS)
            if request.path != str(STATUS_PATH) and (now - last > 60 or LAST_SEEN not in session):
                session[LAST_SEEN] = now  # at most one write a minute
        return self.get_response(request)


# Set on a request whose session a limit ended: Django's `user_logged_out` is sent as for a
# sign-out, but the person did not sign out (the offline devices stay: docs/offline.md).
LIMIT_REACHED = "engage_limit_reached"


def ended_by_limit(request: HttpRequest | None) -> bool:
    """Whether `request` is one whose session the idle or the 12-hour limit ended."""
    return bool(getattr(request, LIMIT_REACHED, False))


def seconds_left(session: SessionBase) -> int:
    """Seconds before the session of a signed-in request reaches the idle or absolute limit."""
    now = time.time()
    idle_end = session.get(LAST_SEEN, now) + settings.ENGAGE_IDLE_MINUTES * 60
    absolute_end = session.get(STARTED_AT, now) + settings.SESSION_COOKIE_AGE
    return max(0, int(min(idle_end, absolute_end) - now))


def absolute_limit_first(session: SessionBase) -> bool:
    """Whether the absolute limit comes before the idle one (staying active will not help)."""
    now = time.time()
    idle_end = session.get(LAST_SEEN, now) + settings.ENGAGE_IDLE_MINUTES * 60
    started: float = session.get(STARTED_AT, now)
    return bool(started + settings.SESSION_COOKIE_AGE < idle_end)


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's deny-by-default, with an answer each kind of signed-out request can use.

    A background request (htmx, or a script that does not take HTML) gets 401, never the
    sign-in page to paste into a card: the page's script says the person was signed out and
    leaves what is typed where it is. A form sent from a browser whose session just ended is
    kept (`kept_forms`), and the person signs in, both steps, to be offered to send it again.
    """

    # Django's stubs say a redirect; a background request gets a 401 instead.
    def handle_no_permission(  # type: ignore[override]
        self, request: HttpRequest, view_func: Callable[..., Any]
    ) -> HttpResponse:
        from engage.accounts import kept_forms

        if request.headers.get("HX-Request") == "true" or not request.accepts("text/html"):
            return JsonResponse({"signed_in": False}, status=401)
        if request.method == "POST":
            if kept_forms.keep(request, view_func):
                messages.info(
                    request,
                    _(
                        "You were signed out while sending a form. What you typed is kept for "
                        "%(minutes)s minutes: sign in again to send it."
                    )
                    % {"minutes": settings.ENGAGE_KEPT_FORM_MINUTES},
                )
                login = resolve_url(settings.LOGIN_URL)
                return redirect(f"{login}?{urlencode({'next': reverse('accounts:kept_form')})}")
            messages.warning(
                request,
                _("You are not signed in, so what you sent was not saved. Sign in to go on."),
            )
        return super().handle_no_permission(request, view_func)


class UserLocaleMiddleware:
    """Speak a signed-in person's own language and show times in their organisation's zone.

    After Django's LocaleMiddleware (which follows the language cookie, then the browser's
    Accept-Language) and the authentication: a language saved on the person's profile wins, so
    it follows them to any browser. Times are shown in the organisation's time zone; the
    network coordinator, who belongs to no organisation, sees the server's (TIME_ZONE).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if user.language and translation.check_for_language(user.language):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            organisation = user.organisation
            if organisation is not None and organisation.time_zone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(organisation.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
            else:
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
