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

On top of the net, every scoped model's queryset has `visible_to(user)`, where a view's query
starts (a Semgrep rule, `unscoped-query-in-view`, refuses any other start in a view): the
user's organisation and, for the records of a case (scoped through `case__organisation`), only
the cases the user may see, by the rule `cases` registers (`register_case_rule`), since this
module cannot import it.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, Self, cast
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest, HttpResponse
from django_scopes import ScopedManager, scope, scopes_disabled
from django_scopes.state import state as scope_state

__all__ = [
    "OrganisationScopeMiddleware",
    "ScopedQuerySet",
    "organisation_scope",
    "organisation_scoped",
    "outside_every_scope",
    "register_case_rule",
    "scopes_disabled",
    "user_scope",
]


# The cases a user may see, as a queryset of their ids: `cases` registers it (its app's ready()).
CaseRule = Callable[[Any], models.QuerySet[Any]]
_case_rule: list[CaseRule] = []

_CASE_SUFFIX = "__organisation"


def register_case_rule(rule: CaseRule) -> None:
    """Set the rule giving the ids of the cases a user may see (`Case.objects.visible_to`)."""
    _case_rule[:] = [rule]


class _ScopedManager(Protocol):
    organisation_path: str  # set on the manager's class by organisation_scoped


class ScopedQuerySet(models.QuerySet[Any]):
    """The queryset of every organisation-scoped model (derive a model's own from it)."""

    # `user` is an accounts.User (this module cannot import it), so Any: a model's own
    # visible_to (Case's) reads its role.
    def visible_to(self, user: Any) -> Self:
        """Return the rows `user` may see: none without an organisation; their organisation's;
        of a record of a case, only those of the cases they may see.
        """
        organisation_id = getattr(user, "organisation_id", None)
        if not user.is_active or organisation_id is None:
            return self.none()
        path = cast(_ScopedManager, self.model._default_manager).organisation_path
        rows = self.filter(**{path: organisation_id})
        case_path = case_path_of(path)
        if case_path is None:
            return rows
        if not _case_rule:
            raise ImproperlyConfigured("No rule for the cases a user may see is registered.")
        return rows.filter(**{f"{case_path}__in": _case_rule[0](user)})


def case_path_of(organisation_path: str) -> str | None:
    """The path to the case of a record scoped through its case's organisation, else None."""
    if organisation_path == "case__organisation" or organisation_path.endswith(
        "__case__organisation"
    ):
        return organisation_path.removesuffix(_CASE_SUFFIX)
    return None


def organisation_scoped(
    path: str, queryset: type[ScopedQuerySet] = ScopedQuerySet
) -> models.Manager[Any]:
    """Return a manager that filters by the active organisation through `path`.

    Its queryset (`ScopedQuerySet` or one derived from it) has `visible_to(user)`.
    """
    if not issubclass(queryset, ScopedQuerySet):
        raise TypeError(f"{queryset.__name__} must derive from ScopedQuerySet")
    manager_class = type(
        f"{queryset.__name__}Manager",
        (models.Manager.from_queryset(queryset),),
        {"organisation_path": path},
    )
    return ScopedManager(organisation=path, _manager_class=manager_class)


@contextmanager
def outside_every_scope() -> Iterator[None]:
    """Outside every organisation's scope, whatever scope is active: a scoped manager used
    inside raises `ScopeError`. For what is built once and shared between readers (the due
    rules' annotations, `cases.due.facts_of_the_day`), which must not hold any reader's
    organisation.

    django-scopes' own `scope()` only adds to the active scope, and a scope whose
    organisation is None switches the filter off; so this sets its state (a context
    variable) to an enabled scope of no dimension, and puts the previous one back.
    """
    token = scope_state.set({"_enabled": True})
    try:
        yield
    finally:
        scope_state.reset(token)


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
