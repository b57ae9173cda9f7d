"""Who may call which endpoint: the same roles as the web pages, declared on each view."""

from rest_framework import exceptions, permissions


class RoleRequired(permissions.BasePermission):
    """Let through an active user with one of the view's `engage_roles`; others get 404.

    As `accounts.permissions.role_required` does for the pages: an endpoint outside someone's
    role answers like one that does not exist. The URL-walk tests read `engage_roles` from the
    view class, as they read it from a `@role_required` function.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated
        if not user.has_role(*view.engage_roles):
            raise exceptions.NotFound
        return True
