"""django-axes' database handler, keeping nothing of a failed sign-in's form (R15).

django-axes stores the POST data of each failed attempt, masking only fields named in
`AXES_SENSITIVE_PARAMETERS`. The password asked again before a sensitive action (step-up)
checks it through `authenticate`, so its failures are counted with the sign-in page's, but its
form carries the action's own fields (`accounts.step_up.carry_form`): the written reason for an
override of consent, an export's passphrase token, a user's details, and the mistyped password
itself under its own name (`step_up-password`). No list of names can cover every form that may
be carried, so the handler gives django-axes an empty form instead: the lockout needs only the
username and the address, which it takes from the credentials and the request.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.http import HttpRequest, QueryDict


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
