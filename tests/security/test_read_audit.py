"""Issue 10, item 4 (R21): every page or API response that shows a client's name records a read
of their case in the audit log.

The walk asks every URL of the resolver, as each member of staff of the organisation that holds
the case (web pages with a session, the API with a token), and for every response that shows the
client's sentinel name checks that the same request added a `view` entry for that case.
"""

import pytest
from django.urls import reverse

from engage.audit.models import AuditEvent
from tests.api.conftest import ApiClient, make_token
from tests.security.conftest import FOREIGN, stepped_up
from tests.security.test_isolation import (
    INSIDERS,
    NETWORK_OBJECT_URLS,
    OBJECT_FOR_URL,
    _api_methods,
    _kwargs_variants,
    _patterns,
    _urls_with_ids,
)

NAMES = (f"{FOREIGN}client", f"{FOREIGN}family")
# Pages without an id that are not for reading (they sign out, or only take POST).
NOT_WALKED = {"accounts:logout"}


def _id_urls(foreign) -> list[tuple[str, str]]:
    """Each URL with an id, for the object of `foreign` it names (as the isolation walk asks;
    a URL it does not know yet fails there, not here)."""
    found = []
    for name, converters in sorted(_urls_with_ids().items()):
        if name in NETWORK_OBJECT_URLS or name not in OBJECT_FOR_URL:
            continue
        obj = foreign[OBJECT_FOR_URL[name]]
        for kwargs in _kwargs_variants(name, converters):
            found.append((name, reverse(name, kwargs={"pk": obj.pk, **kwargs})))
    return found


def _list_urls() -> list[tuple[str, str]]:
    found = []
    for name, converters in _patterns():
        if converters or name in NOT_WALKED or name in NETWORK_OBJECT_URLS or not name:
            continue
        try:
            found.append((name, reverse(name)))
        except Exception:  # noqa: S112 (a pattern reversed only with arguments)
            continue
    return found


def _reads(case) -> int:
    return AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_id=case.pk).count()


def _shows_the_name(response) -> bool:
    if getattr(response, "streaming", False):
        return False  # files (documents, exports): audited by their own download events
    text = response.content.decode(errors="replace").lower()
    return any(name.lower() in text for name in NAMES)


@pytest.mark.django_db
def test_it_records_a_read_for_every_response_that_shows_the_clients_name(foreign, request):
    case = foreign["case"]
    insiders = [request.getfixturevalue(name) for name in INSIDERS]
    pages = [(user, stepped_up(user)) for user in insiders]
    api = [(user, ApiClient(make_token(user))) for user in insiders]
    walk = _id_urls(foreign) + _list_urls()
    shown, missing = set(), []
    for name, url in walk:
        clients = api if _api_methods(name) else pages
        for user, client in clients:
            before = _reads(case)
            response = client.get(url)
            if response.status_code >= 300 or not _shows_the_name(response):
                continue
            shown.add(name)
            if _reads(case) == before:
                missing.append((name, user.username))
    assert missing == [], sorted({name for name, _user in missing})
    # The walk is worth something: the pages and API responses that show a client are many.
    assert {"cases:detail", "privacy:rectify", "cases:list", "api:client", "api:case"} <= shown
    assert len(shown) > 25


@pytest.mark.django_db
def test_it_records_one_read_per_request_however_often_the_case_is_loaded(foreign, charlie):
    case = foreign["case"]
    client = stepped_up(charlie)
    before = _reads(case)
    client.get(reverse("cases:detail", kwargs={"pk": case.pk}))
    assert _reads(case) == before + 1
    event = AuditEvent.objects.filter(object_id=case.pk, action="view").latest("at")
    assert event.actor_id == charlie.pk and len(event.request_id) == 32


@pytest.mark.django_db
def test_it_records_no_read_for_a_redirect_after_a_successful_form(foreign, charlie):
    case = foreign["case"]
    client = stepped_up(charlie)
    before = _reads(case)
    person = case.person
    response = client.post(
        reverse("privacy:rectify", kwargs={"pk": case.pk}),
        {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "version": person.version,
        },
    )
    if response.status_code == 302:
        assert _reads(case) == before
    else:  # the form was refused and shown again, with the client's data: a read
        assert _reads(case) == before + 1
