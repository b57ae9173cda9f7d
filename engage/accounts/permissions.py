"""Who may open which page. Every view names the roles it serves; nothing is open by default."""

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse

from engage.accounts.models import Role

ViewFunc = Callable[..., HttpResponse]


def role_required(*roles: Role) -> Callable[[ViewFunc], ViewFunc]:
    """Let only active users with one of `roles` through; others get 404.

    Not 403: a page outside someone's role is answered exactly like a page that does not
    exist, so that no URL tells an outsider whether the record behind it exists.

    The roles are recorded on the view (`view.engage_roles`) so that a test can prove every URL
    declares who may use it.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_role(*roles):
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.engage_roles = tuple(roles)
        return wrapped

    return decorator


ANY_STAFF = tuple(Role)
ORGANISATION_STAFF = (Role.CASE_MANAGER, Role.SUPERVISOR, Role.ORG_ADMIN)
