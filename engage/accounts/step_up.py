"""Step-up (R20): the password typed again before a sensitive operation, checked in one place.

The prompt is either its own page (`views.confirm_password`, before opening a sensitive page)
or, when a form was sent after the last confirmation ran out, the same prompt carrying what
was sent: it posts the form again with the password, so the person's typed work is not lost.
"""

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import render

from engage.accounts import services
from engage.accounts.forms import ConfirmPasswordForm
from engage.accounts.http import AuthenticatedHttpRequest

FAILURES = "engage_step_up_failures"
PREFIX = "step_up"


def verify(request: AuthenticatedHttpRequest, form: ConfirmPasswordForm) -> HttpResponse | None:
    """Check the password in `form`; on success record the step-up and return None.

    On failure return None too (the form carries the error), unless the session has spent its
    guesses: then it is ended and the 429 of a lockout is returned.
    """
    from engage.accounts.permissions import mark_authenticated

    if form.is_valid():
        request.session.pop(FAILURES, None)
        services.stepped_up(request.user, request=request)
        mark_authenticated(request)
        return None
    return failed(request)


def failed(request: AuthenticatedHttpRequest) -> HttpResponse | None:
    """Count a wrong password typed inside the session (the step-up prompt, the password
    change); after five, end the session and return the 429 of a lockout, else None."""
    # django-axes counts per person and address; the session counts its own failures too,
    # so that moving to a new address every few guesses does not keep it alive.
    failures = request.session.get(FAILURES, 0) + 1
    request.session[FAILURES] = failures
    locked_out = getattr(request, "axes_locked_out", False)
    if locked_out or failures >= settings.AXES_FAILURE_LIMIT:
        if not locked_out:
            services.step_up_session_exhausted(request.user, request=request)
        # Five wrong passwords: whoever holds this session does not know the password.
        # The session ends, and django-axes answers with its lockout page (429).
        logout(request)
        return HttpResponse(status=429)
    return None


def carry_form(request: AuthenticatedHttpRequest) -> HttpResponse | None:
    """For a POST sent without a recent step-up: return the prompt that sends it again with
    the password, or None once the password it carried is right (the POST then goes on,
    without the password)."""
    if f"{PREFIX}-password" in request.POST:
        form = ConfirmPasswordForm(request.POST, user=request.user, request=request, prefix=PREFIX)
        refused = verify(request, form)
        if refused is not None:
            return refused
        if form.is_valid():
            sent = request.POST.copy()
            sent.pop(f"{PREFIX}-password")
            # Django's own request parsing sets it; the stubs keep it immutable.
            request.POST = sent  # type: ignore[assignment]
            return None
    else:
        form = ConfirmPasswordForm(user=request.user, request=request, prefix=PREFIX)
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", f"{PREFIX}-password")
        for value in values
    ]
    return render(
        request,
        "accounts/confirm_password.html",
        {"form": form, "carried": carried, "action": request.get_full_path()},
    )
