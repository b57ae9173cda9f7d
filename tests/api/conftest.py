"""Calling the API as the named people, each with a token of their own."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from engage.api.tokens import create_token
from engage.cases.factories import CaseFactory, to_active


def make_token(user, days: int = 30) -> str:
    _pat, secret = create_token(
        user, name="test", expires_on=timezone.localdate() + datetime.timedelta(days=days)
    )
    return secret


class ApiClient(Client):
    """A test client that sends a bearer token and JSON bodies."""

    def __init__(self, token: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        super().__init__(headers=headers, **kwargs)

    def post(self, path, data=None, **kwargs):
        return super().post(path, data or {}, content_type="application/json", **kwargs)

    def patch(self, path, data=None, **kwargs):
        return super().patch(path, data or {}, content_type="application/json", **kwargs)


@pytest.fixture
def api():
    """`api(user)`: a client calling the API with a fresh token of `user`."""

    def client_for(user) -> ApiClient:
        return ApiClient(make_token(user))

    return client_for


@pytest.fixture
def active_case(organisation, alice, bob):
    """Alice's active case, with an agreed plan, in Bob's team."""
    case = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name="Amal",
        person__family_name="Journeytest",
        migration_status="refused_asylum_seeker",
    )
    case, _plan = to_active(case, alice, bob)
    case.refresh_from_db()
    return case
