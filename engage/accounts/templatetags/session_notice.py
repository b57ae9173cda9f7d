"""The idle sign-out notice of every signed-in page (accounts/_session_notice.html)."""

from typing import Any

from django import template
from django.conf import settings
from django.template import Context

from engage.accounts import mfa
from engage.accounts.middleware import WARN_SECONDS, seconds_left

register = template.Library()


@register.inclusion_tag("accounts/_session_notice.html", takes_context=True)
def session_notice(context: Context) -> dict[str, Any]:
    request = context.get("request")  # none on the 500 page
    user = getattr(request, "user", None)
    if request is None or user is None:
        return {"shown": False}
    # Not while signing in (second step, a password to change): those pages end the session
    # their own way, and the notice's requests would be sent back to them.
    shown = (
        user.is_authenticated
        and not user.must_change_password
        and (user.is_verified() or not mfa.required())
    )
    if not shown:
        return {"shown": False}
    return {
        "shown": True,
        "request": request,
        "user": user,
        "seconds_left": seconds_left(request.session),
        "idle_seconds": settings.ENGAGE_IDLE_MINUTES * 60,
        "warn_seconds": WARN_SECONDS,
    }
