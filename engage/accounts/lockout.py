"""django-axes' database handler, keeping nothing of a failed sign-in's form (R15).

django-axes stores the POST data of each failed attempt, masking only fields named in
`AXES_SENSITIVE_PARAMETERS`. The password asked again before a sensitive action (step-up)
checks it through `authenticate`, so its failures are counted with the sign-in page's, but its
form carries the action's own fields (`accounts.step_up.carry_form`): the written reason for an
override of consent, an export's passphrase token, a user's details, and the mistyped password
itself under its own name (`step_up-password`). No list of names can cover every form that may
be carried, so the handler gives django-axes an empty form instead: the lockout needs only the
username and the address, which it takes from the credentials and the request.

Nor does it keep the username as typed (`username_key`): what is typed in that box is at times
the password, and the record stays in the database, its dumps and its backups.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.http import HttpRequest, QueryDict
from django.utils.crypto import salted_hmac

KEY_SALT = "engage.accounts.lockout.username"


class FormlessDatabaseHandler(AxesDatabaseHandler):  # type: ignore[misc]  # untyped library
    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        if request is None:
            super().user_login_failed(sender, credentials, request, **kwargs)
            return
        form = request.POST
        request.POST = QueryDict()  # what django-axes stores
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        finally:
            request.POST = form  # the view goes on with its form


def username_key(
    request: HttpRequest | None, credentials: dict[str, Any] | None = None
) -> str | None:
    """What django-axes keeps and counts by for a typed username (`AXES_USERNAME_CALLABLE`): a
    digest keyed with the secret key, the same for the same text, never the text itself."""
    if credentials:
        typed = credentials.get("username")
    elif request is not None:
        typed = getattr(request, "data", request.POST).get("username")
    else:
        typed = None
    return None if typed is None else of_username(str(typed))


def of_username(username: str) -> str:
    """The lockout's key for `username` (to reset or read a person's failed attempts)."""
    return "u:" + salted_hmac(KEY_SALT, username, algorithm="sha256").hexdigest()[:40]
