"""Signing out, deactivation, a password reset and a role that no longer works on cases end the
person's offline devices.

The sign-out view belongs to `accounts`, below this app, so Django's own `user_logged_out`
signal is how this app hears of it (as the audit of sign-outs does). The browser is also told
to clear its storage (`Clear-Site-Data`, `accounts.session_views.LogoutView`); ending the
devices here makes one that missed it wipe at its next contact with the server.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from engage.accounts.middleware import ended_by_limit
from engage.accounts.services import case_work_ended, sessions_ended
from engage.offline.services import revoke_devices


@receiver(user_logged_out)
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # A session the idle or 12-hour limit ended is not a sign-out: the person is still the one
    # who took the cases, and signs in again to send what waits on the phone (docs/offline.md).
    # Ending the devices then made the phone delete its unsent outbox at its next contact.
    if ended_by_limit(request):
        return
    if user is not None and user.is_authenticated:
        revoke_devices(user, detail="signed_out")


@receiver(sessions_ended)
def _sessions_ended(sender: Any, user: Any, by: Any = None, **kwargs: Any) -> None:
    # Deactivation or a reset: the devices end for good, so reactivating the account (after a
    # lost phone, say) brings none of them back.
    revoke_devices(user, by=by, detail="sessions_ended")


@receiver(case_work_ended)
def _case_work_ended(sender: Any, user: Any, by: Any = None, **kwargs: Any) -> None:
    # A role that no longer works on cases: the devices end for good too, so moving the person
    # back to case work before the phone next asks does not leave the cases on it.
    revoke_devices(user, by=by, detail="role_changed")
