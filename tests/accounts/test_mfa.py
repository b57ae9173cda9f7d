"""Two-step verification is mandatory (R17), recovery codes are hashed and single-use, and
resetting someone's second factor needs the admin's password again (R20)."""

import base64
import importlib
import re
import time
import uuid

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from engage.accounts import mfa
from engage.accounts.factories import PASSWORD, SecurityKeyFactory
from engage.accounts.models import AppDevice, AppSecret, RecoveryCode
from engage.accounts.permissions import AUTHENTICATED_AT
from tests.row_locks import waits_for

pytestmark = pytest.mark.django_db

# What a password-only session may still reach (besides the public pages).
SECOND_STEP = {
    "accounts:mfa_setup",
    "accounts:mfa_verify",
    # Signing in with a security key instead of a code (tests/accounts/test_security_keys.py).
    "accounts:key_verify",
    "accounts:key_auth_begin",
    "accounts:key_auth_complete",
    "accounts:key_i18n",
    # The password typed again, which adding a security key on the second step asks for.
    "accounts:confirm_password",
    "accounts:logout",
    "set_language",
    "accounts:login",
    "health",
}


@pytest.fixture(autouse=True)
def _mfa_on(settings):
    settings.ENGAGE_MFA_REQUIRED = True


def _urls(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _urls(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            path = prefix + str(entry.pattern)
            yield f"{namespace}{entry.name}", "/" + re.sub(r"<uuid:\w+>", str(uuid.uuid4()), path)


def _password_only(user) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    return client


def _code(device, offset=0) -> str:
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=offset):06d}"


def _enrol(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return device


class TestMandatory:
    def test_a_password_only_session_reaches_nothing_but_the_second_step(self, alice, ada):
        _enrol(ada)
        for user, target in (
            (alice, "/accounts/two-step/setup/"),
            (ada, "/accounts/two-step/verify/"),
        ):
            client = _password_only(user)
            checked = 0
            for name, url in _urls():
                if name in SECOND_STEP:
                    continue
                response = client.get(url)
                assert response.status_code == 302, (name, url)
                assert response.url.startswith(f"{target}?next="), (name, response.url)
                checked += 1
            assert checked > 30

    def test_it_sets_up_an_authenticator_and_shows_recovery_codes_once(self, alice):
        client = _password_only(alice)
        page = client.get("/accounts/two-step/setup/").content.decode()
        assert "<svg" in page  # the QR code is drawn in the page: no image request leaves
        # An image to a screen reader, named for what it is (the key is given as text beside).
        named = 'role="img" aria-label="QR code for your authenticator app"><svg'
        assert f'<div class="qr" {named}' in page
        device = AppDevice.objects.get(user=alice, confirmed=False)
        wrong = client.post("/accounts/two-step/setup/", {"token": "000000"})
        assert "This code is not right" in wrong.content.decode()
        _unthrottle(device)  # a wrong code delays the next try; this test does not wait
        done = client.post("/accounts/two-step/setup/", {"token": _code(device), "next": "/"})
        codes = re.findall(r"<code>([A-Z0-9]{4}-[A-Z0-9]{4})</code>", done.content.decode())
        assert len(codes) == mfa.RECOVERY_CODES
        assert client.get("/").status_code == 200  # verified now
        stored = list(RecoveryCode.objects.filter(user=alice).values_list("code_hash", flat=True))
        assert all(identify_hasher(h) for h in stored)
        assert not set(codes) & set(stored) and not any(
            c.replace("-", "") in h for c in codes for h in stored
        )


class TestAtRest:
    def test_it_keeps_no_authenticator_secret_a_stolen_database_could_make_codes_with(
        self, alice
    ):
        """A copy of the database (a dump, a backup opened with its own key) held each
        authenticator app's secret in clear: with a password guessed or cracked from its hash,
        the thief made the second step's codes too."""
        client = _password_only(alice)
        page = client.get("/accounts/two-step/setup/").content.decode()
        shown = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
        secret = base64.b32decode(shown + "=" * (-len(shown) % 8))
        code = f"{totp(secret):06d}"
        assert client.post("/accounts/two-step/setup/", {"token": code, "next": "/"}).status_code
        assert client.get("/").status_code == 200  # the app is set up with that secret
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names():
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
                for row in cursor.fetchall():
                    stored = repr(row).lower()
                    assert secret.hex() not in stored, table
                    assert shown.lower() not in stored, table

    def test_an_app_set_up_before_is_kept_encrypted_from_the_migration_or_its_next_use(
        self, alice, charlie
    ):
        from django.apps import apps

        migration = importlib.import_module(
            "engage.accounts.migrations.0010_app_secrets_kept_encrypted"
        )
        # Set up by the version before, the secret in clear in django-otp's row: before the
        # migration, and by a machine not yet upgraded after it (a rolling upgrade).
        old = _enrol(alice)
        migration.keep_secrets_apart(apps, None)
        at_next_use = _enrol(charlie)
        secrets = {old.pk: old.key, at_next_use.pk: at_next_use.key}
        assert not AppSecret.objects.filter(device_id=at_next_use.pk).exists()
        for user, device in ((alice, old), (charlie, at_next_use)):
            client = _password_only(user)
            sent = client.post("/accounts/two-step/verify/", {"token": _code(device), "next": "/"})
            assert sent.status_code == 302 and client.get("/").status_code == 200
            assert TOTPDevice.objects.get(pk=device.pk).key != secrets[device.pk]
            assert AppSecret.objects.get(device_id=device.pk).key == secrets[device.pk]


def _unthrottle(device):
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )


class TestVerify:
    def test_it_refuses_a_code_already_used(self, alice):
        device = _enrol(alice)
        code = _code(device)
        first = _password_only(alice)
        assert (
            first.post("/accounts/two-step/verify/", {"token": code, "next": "/"}).status_code
            == 302
        )
        assert first.get("/").status_code == 200
        second = _password_only(alice)
        replay = second.post("/accounts/two-step/verify/", {"token": code})
        assert "already used" in replay.content.decode()
        assert second.get("/").status_code == 302

    def test_it_throttles_repeated_wrong_codes(self, alice):
        device = _enrol(alice)
        client = _password_only(alice)
        for _ in range(3):
            client.post("/accounts/two-step/verify/", {"token": "123456"})
        device.refresh_from_db()
        assert device.throttling_failure_count >= 1  # tries while throttled are not even checked
        right = client.post("/accounts/two-step/verify/", {"token": _code(device)})
        assert right.status_code == 200  # refused while throttled, though the code is right
        assert client.get("/").status_code == 302

    def test_a_recovery_code_works_once(self, alice):
        _enrol(alice)
        codes = mfa.new_recovery_codes(alice)
        client = _password_only(alice)
        assert (
            client.post("/accounts/two-step/verify/", {"token": codes[0].lower()}).status_code
            == 302
        )
        assert client.get("/").status_code == 200
        again = _password_only(alice)
        assert again.post("/accounts/two-step/verify/", {"token": codes[0]}).status_code == 200
        assert again.get("/").status_code == 302


class TestReset:
    def test_resetting_a_colleagues_second_step_needs_the_password_again(self, ada, alice):
        _enrol(alice)
        client = Client()
        client.force_login(ada)
        session = client.session
        session[AUTHENTICATED_AT] = time.time() - 3600
        # An org admin's session counts only when a security key verified it.
        session["otp_device_id"] = SecurityKeyFactory(user=ada).persistent_id
        session.save()
        url = f"/accounts/users/{alice.pk}/two-step/reset/"
        response = client.post(url)
        # The prompt sends the same request again with the password (nothing typed is lost).
        assert response.status_code == 200 and 'name="step_up-password"' in response.content.decode()
        assert TOTPDevice.objects.filter(user=alice).exists()
        assert client.post(url, {"step_up-password": PASSWORD}).status_code == 302
        assert not TOTPDevice.objects.filter(user=alice).exists()

    def test_a_reset_signs_the_person_out_of_the_lost_device(self, ada, alice):
        """docs/security.md, item 51: the session left open on the lost laptop, its second step
        gone, was sent to set up a new one, and set up the finder's app."""
        _enrol(alice)
        lost = Client()
        lost.force_login(alice)
        admin = Client()
        admin.force_login(ada)
        session = admin.session
        session[AUTHENTICATED_AT] = time.time()
        session["otp_device_id"] = SecurityKeyFactory(user=ada).persistent_id
        session.save()
        assert admin.post(f"/accounts/users/{alice.pk}/two-step/reset/").status_code == 302
        setup = lost.get("/accounts/two-step/setup/")
        assert setup.status_code == 302 and setup["Location"].startswith("/accounts/login/")
        assert not TOTPDevice.objects.filter(user=alice).exists()
        assert admin.get("/accounts/users/").status_code == 200  # the admin is still signed in


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)
class TestOneUseAtOnce:
    """Two sign-ins sending the same code at one instant (a code read over a shoulder, or
    relayed by a phishing page while its owner types it too): django-otp refuses a code already
    used by the step it last saw, but both requests read the device before either saved it."""

    @pytest.mark.django_db(transaction=True)  # two connections see each other's commits
    def test_it_takes_a_code_once_when_two_sign_ins_send_it_at_once(self, alice):
        device = mfa.pending_device(alice)
        device.confirmed = True
        device.save()
        code = _code(device)

        def verify():
            return mfa.verify_token(AppDevice.objects.get(pk=device.pk), code)

        outcome = waits_for(lambda: assert_true(verify()), verify)
        assert outcome is False

    @pytest.mark.django_db(transaction=True)
    def test_codes_sent_at_once_are_throttled_one_after_the_other(self, alice, settings):
        settings.OTP_TOTP_THROTTLE_FACTOR = 60  # the wait after a failure outlasts the test
        device = mfa.pending_device(alice)
        device.confirmed = True
        device.save()

        def guess(code):
            return lambda: mfa.verify_token(AppDevice.objects.get(pk=device.pk), code)

        # Guesses sent together all passed the throttle, the failure before them not yet
        # saved: a right one among them got in.
        outcome = waits_for(guess("000000"), guess(_code(device)))
        assert outcome is False
        device.refresh_from_db()
        assert device.throttling_failure_count == 1 and device.last_t == -1

    @pytest.mark.django_db(transaction=True)
    def test_two_new_sets_of_recovery_codes_asked_at_once_leave_one(self, alice):
        """Both sets stayed valid: twenty codes, ten of them on a page already gone."""
        first: list[str] = []
        second = waits_for(
            lambda: first.extend(mfa.new_recovery_codes(alice)),
            lambda: mfa.new_recovery_codes(alice),
        )
        assert isinstance(second, list) and len(second) == mfa.RECOVERY_CODES
        assert RecoveryCode.objects.filter(user=alice).count() == mfa.RECOVERY_CODES
        assert not mfa.use_recovery_code(alice, first[0])
        assert mfa.use_recovery_code(alice, second[0])


def assert_true(value):
    assert value is True
    return value
