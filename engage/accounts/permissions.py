"""Who may open which page. Every view names the roles it serves; nothing is open by default."""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, overload
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.kept_forms import REPLAYED
from engage.accounts.models import Role

# A view's response: a page (HttpResponse) or a file streamed (FileResponse).
ViewFunc = Callable[..., HttpResponseBase]


def role_required(*roles: Role) -> Callable[[ViewFunc], ViewFunc]:
    """Let only active users with one of `roles` through; others get 404.

    Not 403: a page outside someone's role is answered exactly like a page that does not
    exist, so that no URL tells an outsider whether the record behind it exists.

    The roles are recorded on the view (`view.engage_roles`) so that a test can prove every URL
    declares who may use it.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(
            request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if not request.user.has_role(*roles):
                raise Http404
            return view(request, *args, **kwargs)

        # A function takes attributes; the type `functools.wraps` gives it does not say so.
        wrapped.engage_roles = tuple(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator


ANY_STAFF = tuple(Role)
ORGANISATION_STAFF = (Role.CASE_MANAGER, Role.SUPERVISOR, Role.ORG_ADMIN)


# Step-up: sensitive operations need the password typed again within the last few minutes.
AUTHENTICATED_AT = "engage_authenticated_at"


def mark_authenticated(request: HttpRequest) -> None:
    request.session[AUTHENTICATED_AT] = time.time()


def recently_authenticated(request: HttpRequest) -> bool:
    if getattr(request, REPLAYED, False):
        return False  # a form kept across a sign-out, sent again: the sign-in does not vouch
    at = request.session.get(AUTHENTICATED_AT)
    return at is not None and time.time() - at < settings.ENGAGE_STEP_UP_MINUTES * 60


def step_up_needed(
    request: AuthenticatedHttpRequest, *, then: str | None = None
) -> HttpResponse | None:
    """Return a redirect to the password prompt unless the password was typed very recently.

    For a view that is sensitive only in some cases (exact figures, not rounded ones):
    `if refused := step_up_needed(request): return refused`. The person comes back to `then`
    (a URL), by default to the URL asked for.
    """
    if recently_authenticated(request):
        return None
    if request.method == "POST" and not request.FILES:
        # A form sent after the last confirmation ran out: ask for the password on a page
        # that sends the same form again, so nothing typed is lost. (An uploaded file cannot
        # be carried in a page; such a form is asked again after the password.)
        from engage.accounts.step_up import carry_form

        return carry_form(request)
    target = reverse("accounts:confirm_password")
    return redirect(f"{target}?{urlencode({'next': then or request.get_full_path()})}")


@overload
def recent_authentication_required(view: ViewFunc) -> ViewFunc: ...
@overload
def recent_authentication_required(
    view: None = None, *, then: str | None = None
) -> Callable[[ViewFunc], ViewFunc]: ...
def recent_authentication_required(
    view: ViewFunc | None = None, *, then: str | None = None
) -> ViewFunc | Callable[[ViewFunc], ViewFunc]:
    """Send the user to confirm their password first, unless they did so very recently.

    `then` names the URL (by its name) to come back to when the view itself cannot be opened
    afterwards, such as a view that takes POST only.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(
            request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            back = reverse(then) if then else None
            if (refused := step_up_needed(request, then=back)) is not None:
                return refused
            return view(request, *args, **kwargs)

        # A function takes attributes; the type `functools.wraps` gives it does not say so.
        wrapped.engage_roles = getattr(view, "engage_roles", ())  # type: ignore[attr-defined]
        wrapped.engage_step_up = True  # type: ignore[attr-defined]
        return wrapped

    return decorator(view) if view is not None else decorator
