"""Deny by default: every URL declares who may use it, and the roles get exactly that."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from engage.accounts.models import Role

# Views anyone may open, signed in or not.
PUBLIC = {
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "set_language",
    "health",
    "csp_report",
    # The calendar feed: read by a calendar app with its secret key, never a session
    # (tests/agenda/test_feed.py).
    "agenda:feed",
    # A pilot's instance sends its network submission to the hub with a submission token (no
    # user, no session; it reads nothing: tests/api/test_submission_tokens.py).
    "api:submissions",
    # Offline visits (docs/offline.md): the app shell, its service worker and manifest hold no
    # personal data and must open without a session; a device asks whether to wipe with its
    # token (tests/offline/test_offline.py).
    "offline:shell",
    "offline:status",
    "service_worker",
    "manifest",
}


def _patterns(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry.callback


def _api_view(callback):
    """The class of an API view (DRF): authenticated by token, its roles checked by RoleRequired.

    DRF authenticates inside the view, after the middleware, so these views let the login
    middleware through (`login_required = False`) and `RoleRequired` refuses anonymous callers
    (401, tests/api/test_access.py) and other roles (404) itself, from `engage_roles`.
    """
    from engage.api.permissions import RoleRequired

    view_class = getattr(callback, "cls", None)
    if view_class is not None and RoleRequired in getattr(view_class, "permission_classes", ()):
        return view_class
    return None


def _roles(callback):
    if (api_view := _api_view(callback)) is not None:
        return tuple(api_view.engage_roles) or None
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return getattr(view_class.dispatch, "engage_roles", None)
    return getattr(callback, "engage_roles", None)


def test_it_has_every_view_declare_its_roles_or_be_public():
    undeclared = [
        name
        for name, callback in _patterns()
        if name not in PUBLIC and name != "accounts:logout" and _roles(callback) is None
    ]
    assert undeclared == []


def test_it_keeps_public_views_to_the_allow_list():
    public = {
        name
        for name, callback in _patterns()
        if getattr(callback, "login_required", True) is False and _api_view(callback) is None
    }
    assert public <= PUBLIC


ORG_ADMIN_PAGES = [
    "/accounts/users/",
    "/accounts/users/new/",
    "/accounts/teams/",
    "/accounts/teams/new/",
    "/accounts/organisation/",
]
MATRIX = [
    (
        "/",
        {
            Role.CASE_MANAGER: 200,
            Role.SUPERVISOR: 200,
            Role.ORG_ADMIN: 200,
            Role.NETWORK_COORDINATOR: 200,
        },
    ),
    (
        "/accounts/password/",
        {
            Role.CASE_MANAGER: 200,
            Role.SUPERVISOR: 200,
            Role.ORG_ADMIN: 200,
            Role.NETWORK_COORDINATOR: 200,
        },
    ),
    *[
        (
            url,
            {
                Role.CASE_MANAGER: 404,
                Role.SUPERVISOR: 404,
                Role.ORG_ADMIN: 200,
                Role.NETWORK_COORDINATOR: 404,
            },
        )
        for url in ORG_ADMIN_PAGES
    ],
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "expected"), MATRIX, ids=[url for url, _ in MATRIX])
def test_it_gives_each_role_the_expected_status(url, expected, as_user, alice, bob, ada, nadia):
    people = {
        Role.CASE_MANAGER: alice,
        Role.SUPERVISOR: bob,
        Role.ORG_ADMIN: ada,
        Role.NETWORK_COORDINATOR: nadia,
    }
    for role, person in people.items():
        assert as_user(person).get(url).status_code == expected[role], (url, role)


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "_"), MATRIX, ids=[url for url, _ in MATRIX])
def test_it_asks_anonymous_visitors_to_sign_in(url, _, client):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
