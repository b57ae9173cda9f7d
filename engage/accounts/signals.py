"""Authentication events go to the audit log (sign-in, sign-out, failures, lockouts).

Django and django-axes announce these with signals; listening to them is the only way to see
every sign-in whichever view or backend performed it.
"""

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from engage.accounts.middleware import LAST_SEEN, STARTED_AT
from engage.accounts.models import User
from engage.accounts.permissions import mark_authenticated
from engage.audit.models import AuditEvent
from engage.audit.services import record


@receiver(user_logged_in)
def _logged_in(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        mark_authenticated(request)
        request.session[STARTED_AT] = request.session[LAST_SEEN] = time.time()
    record(user, AuditEvent.Action.LOGIN, user, request=request)


@receiver(user_logged_out)
def _logged_out(
    sender: object, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        record(user, AuditEvent.Action.LOGOUT, user, request=request)


def _known(username: str | None) -> User | None:
    # What was typed is never stored: it may be someone's password typed in the wrong box.
    return User.objects.filter(username=username).first() if username else None


@receiver(user_login_failed)
def _login_failed(
    sender: object,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    user = _known(credentials.get("username"))
    # A wrong password on the step-up page (accounts.forms.ConfirmPasswordForm) is told apart
    # from one on the sign-in page: it comes from inside a signed-in session.
    step_up = getattr(request, "engage_step_up", False)
    record(
        None,
        AuditEvent.Action.LOGIN_FAILED,
        user,
        detail="step_up" if step_up else "" if user else "unknown username",
        request=request,
        organisation_id=getattr(user, "organisation_id", None),
    )


@receiver(user_locked_out)
def _locked_out(
    sender: object,
    request: HttpRequest | None,
    username: str | None,
    ip_address: str,
    **kwargs: Any,
) -> None:
    # `username` is the lockout's digest of it (`lockout.username_key`); the name typed is in
    # the credentials django-axes keeps on the request for this moment.
    typed = (getattr(request, "axes_credentials", None) or {}).get("username")
    user = _known(typed)
    step_up = getattr(request, "engage_step_up", False)
    record(
        None,
        AuditEvent.Action.LOCKOUT,
        user,
        detail="step_up" if step_up else "" if user else "unknown username",
        request=request,
        high_severity=True,
        organisation_id=getattr(user, "organisation_id", None),
    )
