"""Personal access tokens: made on the account's page after step-up (and two-step), shown once,
kept as a digest, expiring, revocable, stopped with their owner; failures audited."""

import datetime
import re
import time

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engage.accounts import mfa
from engage.accounts.factories import PASSWORD
from engage.accounts.models import Role
from engage.accounts.permissions import AUTHENTICATED_AT
from engage.accounts.services import deactivate_user, reactivate_user, update_user
from engage.api.models import PersonalAccessToken
from engage.api.tokens import digest
from engage.audit.models import AuditEvent
from tests.api.conftest import ApiClient, make_token
from tests.security.conftest import stepped_up

pytestmark = pytest.mark.django_db


def _in(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def test_it_asks_for_the_password_again_before_making_a_token(alice):
    client = stepped_up(alice)
    session = client.session
    session[AUTHENTICATED_AT] = time.time() - 3600  # the password was typed an hour ago
    session.save()
    response = client.get("/accounts/tokens/new/")
    assert response.status_code == 302 and response.url.startswith("/accounts/confirm/")


def test_it_asks_for_the_second_step_when_two_step_is_mandatory(settings, client, alice):
    settings.ENGAGE_MFA_REQUIRED = True
    client.force_login(alice)  # a session that knows the password only
    response = client.get("/accounts/tokens/new/")
    assert response.status_code == 302 and "/accounts/two-step/" in response.url


def test_it_shows_a_new_token_once_and_keeps_only_its_digest(alice):
    client = stepped_up(alice)
    page = client.post("/accounts/tokens/new/", {"name": "Reporting tool", "expires_on": _in(30)})
    assert page.status_code == 200
    secret = re.search(r"engage_[A-Za-z0-9_-]{40,}", page.content.decode()).group(0)
    token = PersonalAccessToken.objects.get(user=alice)
    assert token.digest == digest(secret) and secret not in (token.prefix, token.digest)
    assert secret.startswith(token.prefix)
    listing = client.get("/accounts/tokens/").content.decode()
    assert "Reporting tool" in listing and token.prefix in listing and secret not in listing
    response = ApiClient(secret).get("/api/v1/me/")
    assert response.status_code == 200 and response.json()["username"] == "alice"
    event = AuditEvent.objects.get(detail="api_token_created")
    assert event.actor_id == alice.pk and event.object_id == token.pk


@pytest.mark.parametrize(("days", "error"), [(0, "after today"), (91, "90 days at most")])
def test_it_requires_an_expiry_within_the_limit(alice, days, error):
    page = stepped_up(alice).post("/accounts/tokens/new/", {"name": "x", "expires_on": _in(days)})
    assert error in page.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_it_refuses_a_token_without_an_expiry(alice):
    page = stepped_up(alice).post("/accounts/tokens/new/", {"name": "x"})
    assert "This field is required." in page.content.decode()
    assert not PersonalAccessToken.objects.exists()


def _refused(secret: str, reason: str) -> None:
    response = ApiClient(secret).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).latest("at")
    assert event.detail == f"api_token_{reason}"
    assert secret not in str(vars(event))


def test_it_stops_a_token_at_its_expiry(alice):
    secret = make_token(alice, days=2)
    assert ApiClient(secret).get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        _refused(secret, "expired")


def test_it_stops_a_revoked_token_at_once(alice, bob):
    secret = make_token(alice)
    token = PersonalAccessToken.objects.get(user=alice)
    assert stepped_up(bob).post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiClient(secret).get("/api/v1/me/").status_code == 200
    response = stepped_up(alice).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    _refused(secret, "revoked")
    assert AuditEvent.objects.filter(detail="api_token_revoked", actor_id=alice.pk).count() == 1


def test_it_stops_the_token_of_a_deactivated_user_at_once(alice, ada):
    secret = make_token(alice)
    assert ApiClient(secret).get("/api/v1/cases/").status_code == 200
    deactivate_user(alice, by=ada)
    _refused(secret, "inactive_user")


def test_it_refuses_unknown_and_malformed_tokens(alice):
    _refused("engage_not-a-token", "unknown")
    assert ApiClient().get("/api/v1/me/").status_code == 401
    response = Client(headers={"Authorization": "Token abc"}).get("/api/v1/me/")
    assert response.status_code == 401


def test_it_does_not_take_the_session_for_the_data_endpoints(as_user, alice):
    response = as_user(alice).get("/api/v1/cases/")
    assert response.status_code == 401


def test_it_records_when_a_token_was_last_used(alice):
    secret = make_token(alice)
    assert PersonalAccessToken.objects.get().last_used_at is None
    ApiClient(secret).get("/api/v1/me/")
    assert PersonalAccessToken.objects.get().last_used_at is not None


def test_the_network_coordinator_gets_a_token_but_no_personal_data(nadia, active_case):
    client = ApiClient(make_token(nadia))
    assert client.get("/api/v1/me/").json()["role"] == "network_coordinator"
    for url in (
        "/api/v1/cases/",
        f"/api/v1/cases/{active_case.pk}/",
        f"/api/v1/clients/{active_case.person_id}/",
        "/api/v1/organisation/",
        "/api/v1/users/",
    ):
        assert client.get(url).status_code == 404, url


def test_it_ends_a_token_when_its_owner_changes_their_password(alice):
    """Issue 10 #18: a token made before a password change must not outlive it."""
    secret = make_token(alice)
    assert ApiClient(secret).get("/api/v1/me/").status_code == 200
    client = stepped_up(alice)
    page = client.get("/accounts/password/").content.decode()
    assert "Changing your password also ends every API token you made" in page
    new = "a brand new long passphrase"
    data = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    assert client.post("/accounts/password/", data).status_code == 302
    _refused(secret, "password_changed")
    listing = client.get("/accounts/tokens/").content.decode()
    assert "Ended by a password change" in listing and "Revoke</button>" not in listing
    # A token made with the new password works.
    alice.refresh_from_db()
    assert ApiClient(make_token(alice)).get("/api/v1/me/").status_code == 200


def test_it_ends_tokens_whatever_path_changed_the_password(alice):
    secret = make_token(alice)
    alice.set_password("set by an admin or a command")  # a reset, a temporary password
    alice.save()
    _refused(secret, "password_changed")


def test_a_token_stays_ended_when_its_deactivated_owner_comes_back(alice, ada):
    """Red team (issue 10 #18): deactivating someone (a stolen laptop) only paused their tokens;
    reactivating them brought the thief's token back. Deactivation ends them, as sessions."""
    secret = make_token(alice)
    deactivate_user(alice, by=ada)
    _refused(secret, "inactive_user")
    reactivate_user(alice, by=ada)
    _refused(secret, "revoked")
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.PERMISSION_CHANGE, detail="api_token_revoked"
    )
    assert (event.actor_id, event.object_id) == (ada.pk, PersonalAccessToken.objects.get().pk)


def test_it_ends_a_token_when_an_admin_resets_its_owners_second_step(alice, ada):
    """Adversarial review (December 2026): a reset of the second step follows a lost laptop,
    and ended its sessions, its calendar feed and its offline cases, but a token kept in a
    tool's settings there went on reading the caseload, the password being unchanged."""
    ended_before = make_token(alice)
    alice.set_password("a new password, chosen before")
    alice.save()
    secret = make_token(alice)
    assert ApiClient(secret).get("/api/v1/cases/").status_code == 200
    mfa.reset(alice, by=ada)
    _refused(secret, "revoked")
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.PERMISSION_CHANGE, detail="api_token_revoked"
    )
    token = PersonalAccessToken.objects.get(digest=digest(secret))
    assert (event.actor_id, event.object_id) == (ada.pk, token.pk)
    # A token the password change had ended already still says so on the tokens page.
    earlier = PersonalAccessToken.objects.get(digest=digest(ended_before))
    assert earlier.revoked_at is None and earlier.ended_by_password_change


def test_it_ends_a_token_when_its_owner_is_given_another_role(alice, bob, ada):
    """Adversarial review (December 2026): a case manager's token, made after an
    authenticator's code, went on working with a supervisor's access (the team's caseload,
    the approvals) once they were made supervisor, while the web held their session until a
    security key verified it. A token is for the role it was made under."""
    secret = make_token(alice)
    unchanged = make_token(bob)
    update_user(
        alice,
        by=ada,
        expected_version=alice.version,
        role=Role.SUPERVISOR,
        team=alice.team,
        first_name=alice.first_name,
        last_name=alice.last_name,
        email=alice.email,
    )
    _refused(secret, "revoked")
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.PERMISSION_CHANGE, detail="api_token_revoked"
    )
    assert (event.actor_id, event.object_id) == (
        ada.pk,
        PersonalAccessToken.objects.get(digest=digest(secret)).pk,
    )
    # Another change of a person's details (their name) leaves their tokens as they are.
    bob.refresh_from_db()
    update_user(
        bob,
        by=ada,
        expected_version=bob.version,
        role=bob.role,
        team=bob.team,
        first_name="Robert",
        last_name=bob.last_name,
        email=bob.email,
    )
    assert ApiClient(unchanged).get("/api/v1/me/").status_code == 200


def test_it_reads_the_token_its_owner_and_their_organisation_in_one_query(alice):
    secret = make_token(alice)
    client = ApiClient(secret)
    client.get("/api/v1/me/")  # last used: written once a minute at most, not in the count
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me/").status_code == 200
    reads = [q["sql"] for q in queries if 'FROM "api_personalaccesstoken"' in q["sql"]]
    assert len(reads) == 1 and '"accounts_organisation"' in reads[0]
    organisation_reads = [q["sql"] for q in queries if 'FROM "accounts_organisation"' in q["sql"]]
    assert organisation_reads == []


def test_it_stops_writing_refused_tokens_to_the_audit_log_after_the_sign_in_limit(alice, settings):
    """Every refused token wrote one row of the append-only audit log, which nothing may
    remove: anyone on the internet, with no account, grew it without end (a row per request).
    The calendar feed stopped that long ago; the API now does as it does: past the sign-in
    lockout's number of refusals from one address, nothing more is written (still 401). A
    valid token from that address still works, and another address is still recorded."""
    refused = AuditEvent.objects.filter(detail__startswith="api_token_")
    for n in range(settings.AXES_FAILURE_LIMIT * 4):
        response = ApiClient(f"engage_guess-{n}").get("/api/v1/me/")
        assert response.status_code == 401
    assert refused.count() == settings.AXES_FAILURE_LIMIT
    assert ApiClient(make_token(alice)).get("/api/v1/me/").status_code == 200
    elsewhere = ApiClient("engage_guess-x", REMOTE_ADDR="192.0.2.9").get("/api/v1/me/")
    assert elsewhere.status_code == 401
    assert refused.filter(ip="192.0.2.9").count() == 1
