"""The main navigation: each role's entries, the current one marked, and addresses that follow
the script prefix and the URLconf although they are reversed once and kept
(`engage.lib.addresses`, tested in tests/lib/test_addresses.py)."""

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import clear_script_prefix, set_script_prefix

from engage.accounts.context_processors import navigation
from engage.accounts.models import Role


def _navigation(user, path="/"):
    request = RequestFactory().get(path)
    request.user = user
    return navigation(request)["navigation"]


def test_it_lists_a_case_managers_entries_and_marks_the_current_one(alice):
    entries = _navigation(alice, "/cases/?sort=name")
    assert [entry.url for entry in entries] == ["/", "/cases/", "/agenda/", "/directory/",
                                                "/network/"]  # fmt: skip
    assert [entry.url for entry in entries if entry.active] == ["/cases/"]


def test_it_gives_an_admin_their_own_entries_and_an_anonymous_visitor_none(ada, rf):
    urls = [entry.url for entry in _navigation(ada)]
    assert "/accounts/users/" in urls and "/agenda/" not in urls
    request = rf.get("/")
    request.user = AnonymousUser()
    assert navigation(request) == {"navigation": []}


def test_its_kept_addresses_follow_the_script_prefix(alice):
    before = [entry.url for entry in _navigation(alice)]
    set_script_prefix("/engage/")
    try:
        prefixed = [entry.url for entry in _navigation(alice)]
    finally:
        clear_script_prefix()
    assert prefixed == ["/engage" + url for url in before]
    assert [entry.url for entry in _navigation(alice)] == before


def test_its_kept_addresses_follow_another_urlconf(alice, settings):
    settings.ROOT_URLCONF = "tests.accounts.navigation_urls"
    assert [entry.url for entry in _navigation(alice)][:2] == ["/elsewhere/", "/elsewhere/cases/"]


def test_it_lists_a_roles_entries_whether_the_role_is_read_or_set(alice):
    alice.role = Role.CASE_MANAGER  # as set in code
    as_set = [entry.url for entry in _navigation(alice)]
    alice.role = "case_manager"  # as read from the database
    assert [entry.url for entry in _navigation(alice)] == as_set
    assert as_set[:2] == ["/", "/cases/"]
