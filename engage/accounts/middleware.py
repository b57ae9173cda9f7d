import time
import zoneinfo
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
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
        pending = user.is_authenticated and not user.is_verified()
        # Those who must use a security key are held by SecurityKeyRequiredMiddleware instead.
        if mfa.required() and pending and not security_keys.key_required(user):
            setup, verify = reverse("accounts:mfa_setup"), reverse("accounts:mfa_verify")
            allowed = {setup, verify, reverse("accounts:logout"), reverse("set_language")}
            allowed |= security_keys.paths(*security_keys.ALWAYS, *security_keys.VERIFY_WITH_KEY)
            if request.path not in allowed:
                target = verify if mfa.confirmed_device(user) else setup
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


STARTED_AT = "engage_started_at"
LAST_SEEN = "engage_last_seen"


class SessionTimeoutMiddleware:
    """Sign out after 30 idle minutes, and after 12 hours whatever happens (R19).

    Django's session expiry moves forward each time the session is saved, so it cannot give
    both an idle limit and an absolute one; the two moments are kept in the session instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(STARTED_AT, now)
            last = session.get(LAST_SEEN, now)
            idle = now - last > settings.ENGAGE_IDLE_MINUTES * 60
            if idle or now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(request, _("You were signed out after a while without activity."))
                login = reverse("accounts:login")
                return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
            if now - last > 60 or LAST_SEEN not in session:  # at most one write a minute
                session[LAST_SEEN] = now
        return self.get_response(request)


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
