"""Brute-force lockout (R15) and the security events of the audit log (R24)."""

import pytest
from django.test import Client

from engage.accounts import services
from engage.accounts.factories import PASSWORD
from engage.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _try(client, username, password, ip="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


class TestLockout:
    def test_it_locks_a_username_and_address_after_five_failures(self, alice, bob):
        client = Client()
        assert [_try(client, "alice", "wrong").status_code for _ in range(4)] == [401] * 4
        assert _try(client, "alice", "wrong").status_code == 429
        locked = _try(client, "alice", PASSWORD)
        assert locked.status_code == 429  # even with the right password
        assert "Too many attempts" in locked.content.decode()
        # A colleague behind the same address signs in; Alice can from elsewhere.
        assert _try(Client(), "bob", PASSWORD).status_code == 302
        assert _try(Client(), "alice", PASSWORD, ip="198.51.100.2").status_code == 302

    def test_it_logs_the_lockout_with_high_severity(self, alice):
        client = Client()
        for _ in range(5):
            _try(client, "alice", "wrong")
        lockout = AuditEvent.objects.get(action=AuditEvent.Action.LOCKOUT)
        assert lockout.high_severity and lockout.object_id == alice.pk
        assert lockout.organisation_id == alice.organisation_id
        assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() == 5

    def test_it_forgets_failures_after_a_successful_sign_in(self, alice):
        client = Client()
        for _ in range(4):
            _try(client, "alice", "wrong")
        assert _try(client, "alice", PASSWORD).status_code == 302
        client.post("/accounts/logout/")
        assert [_try(client, "alice", "wrong").status_code for _ in range(4)] == [401] * 4

    def test_the_password_change_limits_guesses_of_the_current_password(self, alice):
        """docs/security.md, item 50: whoever held a session guessed the current password at
        the password change without end, and the right guess set their own."""
        thief = Client(REMOTE_ADDR="198.51.100.23")
        thief.force_login(alice)
        new = {
            "new_password1": "the thief's own phrase 42",
            "new_password2": "the thief's own phrase 42",
        }
        answers = [
            thief.post("/accounts/password/", {"old_password": f"guess {n}", **new}).status_code
            for n in range(5)
        ]
        assert answers == [200] * 4 + [429]  # the form again, then the session ends
        assert (
            AuditEvent.objects.filter(
                action=AuditEvent.Action.LOGIN_FAILED, detail="step_up", object_id=alice.pk
            ).count()
            == 5
        )
        assert AuditEvent.objects.filter(action=AuditEvent.Action.LOCKOUT).exists()
        # The session is over: the right password, sent now, sets nothing.
        right = thief.post("/accounts/password/", {"old_password": PASSWORD, **new})
        assert right.status_code in (302, 401, 429)
        alice.refresh_from_db()
        assert alice.check_password(PASSWORD)


class TestSecurityEvents:
    def _events(self, action):
        return AuditEvent.objects.filter(action=action)

    def test_it_logs_sign_in_and_sign_out(self, alice):
        client = Client()
        _try(client, "alice", PASSWORD)
        client.post("/accounts/logout/", REMOTE_ADDR="203.0.113.7")
        for action in (AuditEvent.Action.LOGIN, AuditEvent.Action.LOGOUT):
            event = self._events(action).get()
            assert event.actor_id == alice.pk and event.ip == "203.0.113.7"
            assert event.request_id and event.actor_role == "case_manager"

    def test_it_logs_a_failure_without_what_was_typed(self, alice):
        _try(Client(), "alice", "my-secret-typo")
        _try(Client(), "alice-typo-user", "another-secret")
        known, unknown = (
            self._events(AuditEvent.Action.LOGIN_FAILED).get(object_id=alice.pk),
            self._events(AuditEvent.Action.LOGIN_FAILED).get(object_id=None),
        )
        assert known.organisation_id == alice.organisation_id
        assert unknown.detail == "unknown username"
        stored = repr(list(AuditEvent.objects.values()))
        assert "secret" not in stored and "alice-typo-user" not in stored

    def test_it_logs_a_password_change(self, alice, as_user):
        as_user(alice).post(
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "another long passphrase",
                "new_password2": "another long passphrase",
            },
        )
        assert self._events(AuditEvent.Action.PASSWORD_CHANGE).get().actor_id == alice.pk

    def test_it_logs_role_changes_and_deactivation(self, alice, ada):
        team_id = alice.team_id
        services.update_user(
            alice,
            by=ada,
            expected_version=alice.version,
            role="supervisor",
            team=None,
            first_name="Alice",
            last_name="",
            email="",
        )
        services.deactivate_user(alice, by=ada)
        details = set(
            self._events(AuditEvent.Action.PERMISSION_CHANGE).values_list("detail", flat=True)
        )
        role_change = f"role:case_manager>supervisor,team:{team_id}>-"
        assert details == {role_change, "is_active:yes>no"}
        assert set(AuditEvent.objects.values_list("actor_id", flat=True)) == {ada.pk}

    def test_it_sends_the_request_id_back(self, client):
        response = client.get(LOGIN)
        assert len(response["X-Request-ID"]) == 32
