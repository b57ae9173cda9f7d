"""An outsider never reaches another organisation's objects, through any URL."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from engage.accounts.models import Team, User
from tests.api.conftest import ApiClient, make_token

# The password reset link names no object: it carries a signed, expiring token, and answers
# "this link does not work" to anyone without a valid one (tests/accounts/test_password_reset.py).
SIGNED_LINKS = {"accounts:password_reset_confirm"}


def _patterns_with_ids(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns_with_ids(entry, inner)
        elif isinstance(entry, URLPattern) and entry.pattern.converters:
            name = f"{namespace}{entry.name}"
            if name not in SIGNED_LINKS:
                yield name, list(entry.pattern.converters)


@pytest.fixture
def sentinel_organisation(organisation, alice, bob, ada, team):
    """Org A, with names no page of org B may ever show."""
    for person in (alice, bob, ada):
        person.last_name = "Zzsentinel"
        person.save()
    return organisation


def _foreign_ids(organisation):
    return [
        organisation.pk,
        *User.objects.filter(organisation=organisation).values_list("pk", flat=True),
        *Team.objects.filter(organisation=organisation).values_list("pk", flat=True),
    ]


@pytest.mark.django_db
def test_it_has_url_patterns_with_ids_to_walk():
    assert list(_patterns_with_ids())


# One test per outsider (about 1,400 requests each), so that the two workers share them.
@pytest.mark.django_db
@pytest.mark.parametrize("outsider_name", ["olga", "charlie"])
def test_it_gives_an_outsider_404_for_every_object_of_another_organisation(
    sentinel_organisation, outsider_name, request, as_user
):
    outsider = request.getfixturevalue(outsider_name)
    allowed = {404}
    client = as_user(outsider)
    api = ApiClient(make_token(outsider))
    for name, params in _patterns_with_ids():
        # The API takes a token, not the session (and answers a method it does not take with
        # 405 whatever the id).
        is_api = name.startswith("api:")
        methods = (api.get, api.post, api.patch) if is_api else (client.get, client.post)
        for pk in _foreign_ids(sentinel_organisation):
            url = reverse(name, kwargs=dict.fromkeys(params, pk))
            for method in methods:
                response = method(url)
                # A POST-only view answers GET with 405 whatever the id: no oracle either.
                expected = allowed | {405} if method == client.get or is_api else allowed
                assert response.status_code in expected, (outsider, method.__name__, url)
                assert b"Zzsentinel" not in response.content


@pytest.mark.django_db
def test_it_lists_nothing_of_another_organisation(sentinel_organisation, olga, as_user):
    client = as_user(olga)
    for url in ("/", "/accounts/users/", "/accounts/teams/"):
        assert b"Zzsentinel" not in client.get(url).content, url
    searched = client.get("/accounts/users/", {"q": "Zzsentinel"}).content.decode()
    assert "No user matches this search." in searched
