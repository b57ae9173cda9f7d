"""Whose address locks out and goes in the audit log, with and without a reverse proxy (issue 10 #5).

Behind a proxy every request comes from the proxy's address; if that address is the client's,
five wrong passwords for "alice" lock Alice out for everybody. In front of no proxy, an
`X-Forwarded-For` header is whatever the client typed.
"""

import pytest
from django.test import Client

from engage.accounts.factories import PASSWORD
from engage.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROXY = "10.0.0.2"
ATTACKER = "198.51.100.66"
ALICE_AT_HOME = "203.0.113.7"


def _sign_in(password, *, remote, forwarded=None, username="alice"):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post(LOGIN, {"username": username, "password": password}, **headers)


class TestBehindOneProxy:
    @pytest.fixture(autouse=True)
    def _one_proxy(self, settings):
        settings.ENGAGE_TRUSTED_PROXY_COUNT = 1

    def test_it_locks_out_the_client_not_the_proxy(self, alice):
        # The proxy appends the address it saw; the attacker also forges Alice's address.
        forged = f"{ALICE_AT_HOME}, {ATTACKER}"
        statuses = [_sign_in("wrong", remote=PROXY, forwarded=forged).status_code for _ in range(5)]
        assert statuses == [401] * 4 + [429]
        assert _sign_in(PASSWORD, remote=PROXY, forwarded=ATTACKER).status_code == 429
        # Alice, through the same proxy from her own address, is not locked out.
        assert _sign_in(PASSWORD, remote=PROXY, forwarded=ALICE_AT_HOME).status_code == 302

    def test_it_audits_the_clients_address(self, alice):
        _sign_in("wrong", remote=PROXY, forwarded=f"{ALICE_AT_HOME}, {ATTACKER}")
        _sign_in(PASSWORD, remote=PROXY, forwarded=ALICE_AT_HOME)
        failed = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
        signed_in = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
        assert (failed.ip, signed_in.ip) == (ATTACKER, ALICE_AT_HOME)

    def test_it_uses_the_proxys_address_for_a_request_that_bypassed_it(self, alice):
        _sign_in("wrong", remote=ATTACKER)
        assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED).ip == ATTACKER


class TestTwoProxies:
    def test_it_takes_the_address_the_outer_proxy_saw(self, settings, alice):
        settings.ENGAGE_TRUSTED_PROXY_COUNT = 2
        # client forged, client's real address (added by the outer proxy), outer proxy (added
        # by the inner one); the inner proxy is REMOTE_ADDR.
        _sign_in("wrong", remote=PROXY, forwarded=f"{ALICE_AT_HOME}, {ATTACKER}, 10.0.0.9")
        assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED).ip == ATTACKER


class TestDirect:
    def test_it_ignores_a_forged_forwarded_for(self, settings, alice):
        settings.ENGAGE_TRUSTED_PROXY_COUNT = 0
        # A new forged address each time does not escape the lockout...
        statuses = [
            _sign_in("wrong", remote=ATTACKER, forwarded=f"192.0.2.{n}").status_code
            for n in range(1, 6)
        ]
        assert statuses == [401] * 4 + [429]
        assert _sign_in(PASSWORD, remote=ATTACKER, forwarded="192.0.2.99").status_code == 429
        # ...nor does forging Alice's address lock her out.
        assert _sign_in(PASSWORD, remote=ALICE_AT_HOME).status_code == 302
        recorded = set(AuditEvent.objects.values_list("ip", flat=True))
        assert recorded == {ATTACKER, ALICE_AT_HOME}

    def test_it_is_the_default(self):
        from django.conf import settings

        assert settings.ENGAGE_TRUSTED_PROXY_COUNT == 0
