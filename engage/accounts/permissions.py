"""Who may open which page. Every view names the roles it serves; nothing is open by default."""

import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from engage.accounts.models import Role

ViewFunc = Callable[..., HttpResponse]


def role_required(*roles: Role) -> Callable[[ViewFunc], ViewFunc]:
    """Let only active users with one of `roles` through; others get 404.

    Not 403: a page outside someone's role is answered exactly like a page that does not
    exist, so that no URL tells an outsider whether the record behind it exists.

    The roles are recorded on the view (`view.engage_roles`) so that a test can prove every URL
    declares who may use it.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_role(*roles):
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.engage_roles = tuple(roles)
        return wrapped

    return decorator


ANY_STAFF = tuple(Role)
ORGANISATION_STAFF = (Role.CASE_MANAGER, Role.SUPERVISOR, Role.ORG_ADMIN)


# Step-up: sensitive operations need the password typed again within the last few minutes.
AUTHENTICATED_AT = "engage_authenticated_at"


def mark_authenticated(request: HttpRequest) -> None:
    request.session[AUTHENTICATED_AT] = time.time()


def recently_authenticated(request: HttpRequest) -> bool:
    at = request.session.get(AUTHENTICATED_AT)
    return at is not None and time.time() - at < settings.ENGAGE_STEP_UP_MINUTES * 60


def recent_authentication_required(view: ViewFunc) -> ViewFunc:
    """Send the user to confirm their password first, unless they did so very recently."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not recently_authenticated(request):
            target = reverse("accounts:confirm_password")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    wrapped.engage_roles = getattr(view, "engage_roles", ())
    return wrapped
