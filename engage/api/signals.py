"""Deactivation, a password reset and a reset of the second step end the person's API tokens
for good (`accounts.services.sessions_ended`, sent by the app below this one), as they end the
calendar feed and the offline devices. Deactivation revoked the tokens already and a password
change ends them by itself (`PersonalAccessToken.ended_by_password_change`); a reset of the
second step, after a lost device, left them working.

So does a change of role (`accounts.services.role_changed`): a token is made for the access of
the role its owner had, at the sign-in that role asked for. A case manager's token, made after
an authenticator's code, went on working with a supervisor's or an admin's access once they
were given that role, while the web held their session until a security key verified it."""

from typing import Any

from django.dispatch import receiver

from engage.accounts.services import role_changed, sessions_ended
from engage.api.tokens import end_tokens


@receiver(sessions_ended)
def _sessions_ended(sender: Any, user: Any, by: Any = None, **kwargs: Any) -> None:
    end_tokens(user, by=by)


@receiver(role_changed)
def _role_changed(sender: Any, user: Any, by: Any = None, **kwargs: Any) -> None:
    end_tokens(user, by=by)
