from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from engage.offline.services import may_work_offline

HEADER = "Engage-Offline"


class OfflineAllowedMiddleware:
    """Tell the device on every signed-in response whether it may still keep offline data.

    `allowed` or `wipe` (a role that no longer works on cases). The device's script reads it on
    each of its requests; a deactivated account has no session, and `offline:status` says wipe.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response[HEADER] = "allowed" if may_work_offline(user) else "wipe"
        return response
