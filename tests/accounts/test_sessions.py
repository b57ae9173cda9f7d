"""Session lifetime (R19): idle timeout, absolute lifetime, a new key at sign-in, and cookies."""

import time

import pytest
from django.test import Client

from engage.accounts.factories import PASSWORD
from engage.accounts.middleware import LAST_SEEN, STARTED_AT

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    return client


def _age(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_it_signs_out_after_thirty_idle_minutes(alice):
    client = _signed_in(alice)
    _age(client, **{LAST_SEEN: 29 * 60})
    assert client.get("/").status_code == 200
    _age(client, **{LAST_SEEN: 31 * 60})
    response = client.get("/cases/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")
    assert client.get("/").status_code == 302  # the session is gone, not just this request


def test_it_signs_out_after_twelve_hours_even_when_active(alice):
    client = _signed_in(alice)
    _age(client, **{STARTED_AT: 12 * 3600 + 60, LAST_SEEN: 10})
    assert client.get("/").status_code == 302


def test_it_gives_a_new_session_key_at_sign_in_and_forgets_it_at_sign_out(alice):
    client = Client()
    client.get("/accounts/login/")
    before = client.cookies.get("sessionid")
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    after = client.cookies["sessionid"].value
    assert before is None or before.value != after
    client.post("/accounts/logout/")
    stolen = Client()
    stolen.cookies["sessionid"] = after
    assert stolen.get("/").status_code == 302


def test_its_session_cookie_is_httponly_and_samesite(alice):
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
