"""Deactivation, a password reset and a reset of the second step end the person's calendar feed
for good (`accounts.services.sessions_ended`, sent by the app below this one), as they end
their API tokens and offline devices: reactivating the account brings no feed back. So does a
role that no longer works on cases (`accounts.services.case_work_ended`): moving the person
back to case work brings no feed back either."""

from typing import Any

from django.dispatch import receiver

from engage.accounts.services import case_work_ended, sessions_ended
from engage.agenda.services import end_feeds


@receiver(sessions_ended)
def _sessions_ended(sender: Any, user: Any, by: Any = None, **kwargs: Any) -> None:
    end_feeds(user, by=by)


@receiver(case_work_ended)
def _case_work_ended(sender: Any, user: Any, by: Any = None, **kwargs: Any) -> None:
    end_feeds(user, by=by)
