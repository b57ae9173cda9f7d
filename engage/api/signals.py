"""Deactivation, a password reset and a reset of the second step end the person's API tokens
for good (`accounts.services.sessions_ended`, sent by the app below this one), as they end the
calendar feed and the offline devices. Deactivation revoked the tokens already and a password
change ends them by itself (`PersonalAccessToken.ended_by_password_change`); a reset of the
second step, after a lost device, left them working."""

from typing import Any

from django.dispatch import receiver

from engage.accounts.services import sessions_ended
from engage.api.tokens import end_tokens


@receiver(sessions_ended)
def _sessions_ended(sender: Any, user: Any, by: Any = None, **kwargs: Any) -> None:
    end_tokens(user, by=by)
