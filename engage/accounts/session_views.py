"""The idle sign-out notice's two requests, and the form kept across a sign-out.

`session_status` and `stay_signed_in` answer the script of the notice (engage/static/engage/
session.js); a signed-out request gets 401 from `LoginRequiredMiddleware`. `kept_form` offers
the form that was sent just after the session ended (`kept_forms`) to be sent again.
"""

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from engage.accounts import kept_forms
from engage.accounts.middleware import LAST_SEEN, absolute_limit_first, seconds_left
from engage.accounts.permissions import ANY_STAFF, role_required


def _state(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "signed_in": True,
            "user": str(request.user.pk),
            "seconds_left": seconds_left(request.session),
            "absolute": absolute_limit_first(request.session),
            # A sign-in in another tab gave the session a new CSRF token: the page's forms
            # take it, so what is typed there can still be sent.
            "csrf": get_token(request),
        }
    )


@require_GET
@role_required(*ANY_STAFF)
def session_status(request: HttpRequest) -> JsonResponse:
    """How long until sign-out. Asking is not activity (SessionTimeoutMiddleware)."""
    return _state(request)


@require_POST
@role_required(*ANY_STAFF)
def stay_signed_in(request: HttpRequest) -> JsonResponse:
    """The person pressed "Stay signed in": the idle limit starts again from now."""
    request.session[LAST_SEEN] = time.time()
    return _state(request)


@role_required(*ANY_STAFF)
def kept_form(request: HttpRequest) -> HttpResponse:
    """Offer the form sent just after the session ended; POST deletes it unsent."""
    if request.method == "POST":
        kept_forms.discard(request)
        messages.info(request, _("The form you sent before signing in was deleted, not sent."))
        return redirect("dashboard:home")
    try:
        kept = kept_forms.kept_form_for(request)
    except kept_forms.NotYours:
        messages.warning(request, kept_forms.NOT_YOURS)
        return redirect("dashboard:home")
    except kept_forms.TooOld:
        messages.warning(
            request,
            _(
                "The form you sent before signing in waited more than %(minutes)s minutes: "
                "it was deleted, not sent."
            )
            % {"minutes": kept_forms.minutes()},
        )
        return redirect("dashboard:home")
    if kept is None:
        messages.info(request, _("There is no form waiting to be sent."))
        return redirect("dashboard:home")
    # What the person wrote, to recognise it: the texts (field names are the code's, not words
    # of their language; dates, choices and numbers go as they were chosen).
    written = [value for _name, value in kept.fields if " " in value.strip()]
    return render(request, "accounts/kept_form.html", {"kept": kept, "written": written})


class LogoutView(auth_views.LogoutView):
    """Sign out, and tell the browser to delete what Engage stored in it.

    `Clear-Site-Data` removes the cases kept for offline visits (IndexedDB), the service worker's
    cache and its registration, and local storage, even where no script of ours runs again
    (docs/offline.md). A session ended by the idle limit keeps them: the person is still the
    one who took them, and signs in again to send what waits.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
