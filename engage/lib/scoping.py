"""Organisation scopes on every model that holds personal data (security requirement R05).

`Case.objects.visible_to(user)` and the loaders in `cases/access.py` are how views reach
personal data; this is the net under them. Every model that holds personal data, or hangs off
one that does, has a django-scopes manager: a query of it runs only inside a scope, and inside a
request the scope is the user's organisation (`OrganisationScopeMiddleware`), so a forgotten
filter can at worst show a colleague's case, never another organisation's. Outside any scope
the query raises `ScopeError` instead of reading every organisation's rows.

Jobs that work across organisations on purpose (seeding the demo, retention, the sharing
runner, key rotation, backups) say so with `scopes_disabled()`, which a Semgrep rule allows only
in management commands and the few modules listed there. Work done for one organisation outside
a request (deriving its network dataset rows) runs in `organisation_scope(organisation)`.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpRequest, HttpResponse
from django_scopes import ScopedManager, scope, scopes_disabled

__all__ = [
    "OrganisationScopeMiddleware",
    "organisation_scope",
    "organisation_scoped",
    "scopes_disabled",
    "user_scope",
]


def organisation_scoped(
    path: str, queryset: type[models.QuerySet[Any]] | None = None
) -> models.Manager[Any]:
    """Return a manager that filters by the active organisation through `path`."""
    manager_class = models.Manager.from_queryset(queryset) if queryset else models.Manager
    return ScopedManager(organisation=path, _manager_class=manager_class)


def organisation_scope(organisation_id: UUID) -> AbstractContextManager[None]:
    """The scope of one organisation, for work done on its behalf outside a request."""
    return scope(organisation=[organisation_id])


def user_scope(user: AbstractBaseUser | AnonymousUser) -> AbstractContextManager[None]:
    """The scope of a signed-in user's requests: their organisation, or none at all.

    An empty list is an `IN ()` filter, matching nothing: the network coordinator and
    anonymous visitors belong to no organisation and so read no personal data. (A `None`
    value would switch the filter off: never pass one.)
    """
    organisation_id = getattr(user, "organisation_id", None) if user.is_authenticated else None
    if organisation_id is None:
        return scope(organisation=[])
    return organisation_scope(organisation_id)


class OrganisationScopeMiddleware:
    """Run every request inside the scope of the signed-in user's organisation."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with user_scope(request.user):
            return self.get_response(request)
