"""Security keys (WebAuthn) as the second step: who must use one, whose keys one may touch,
what is audited (R17, R20, R24). The ceremonies themselves run in Chromium:
tests/browser/test_security_keys.py."""

import time

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn import exceptions
from django_otp_webauthn.models import WebAuthnCredential

from engage.accounts import mfa, security_keys
from engage.accounts.factories import PASSWORD, SecurityKeyFactory
from engage.accounts.models import RecoveryCode, Role
from engage.accounts.permissions import AUTHENTICATED_AT
from engage.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

REGISTER = "/accounts/two-step/keys/"
VERIFY = "/accounts/two-step/keys/verify/"


@pytest.fixture(autouse=True)
def _mfa_on(settings):
    settings.ENGAGE_MFA_REQUIRED = True


def _app(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def _verified(user, device, *, stepped_up=True) -> Client:
    """A session whose second step `device` did."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session[AUTHENTICATED_AT] = time.time() - (0 if stepped_up else 3600)
    session.save()
    return client


def _code(device) -> str:
    return f"{totp(device.bin_key, t0=device.t0, step=device.step):06d}"


def _password_only(user) -> Client:
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    return client


class TestPolicy:
    def test_it_sends_an_org_admin_with_only_an_app_to_register_a_key(self, ada):
        response = _verified(ada, _app(ada)).get("/cases/")
        assert response.status_code == 302
        assert response.url == f"{REGISTER}?next=%2Fcases%2F"

    def test_it_lets_a_case_manager_with_an_app_through(self, alice):
        assert _verified(alice, _app(alice)).get("/").status_code == 200

    def test_it_lets_an_org_admin_whose_key_verified_the_session_through(self, ada):
        assert _verified(ada, SecurityKeyFactory(user=ada)).get("/").status_code == 200

    def test_an_app_code_no_longer_signs_in_an_admin_who_has_a_key(self, ada):
        SecurityKeyFactory(user=ada)
        response = _verified(ada, _app(ada)).get("/")
        assert response.status_code == 302 and response.url.startswith(f"{VERIFY}?next=")

    def test_an_admin_with_an_app_gives_its_code_first_then_registers_a_key(self, ada):
        _app(ada)
        client = _password_only(ada)
        response = client.get(REGISTER)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/two-step/verify/?next=")

    def test_a_new_admin_registers_a_key_without_setting_up_an_app(self, bob, nadia):
        for user in (bob, nadia):
            client = _password_only(user)
            response = client.get("/")
            assert response.status_code == 302 and response.url.startswith(REGISTER), user
            page = client.get(REGISTER)
            assert page.status_code == 200
            assert "passkey-register-button" in page.content.decode()

    def test_it_holds_an_admin_on_the_key_pages_until_the_key_is_registered(self, ada):
        client = _verified(ada, _app(ada))
        for url in ("/", "/accounts/users/", "/accounts/two-step/", "/audit/"):
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(REGISTER), url
        assert client.get(REGISTER).status_code == 200

    def test_it_requires_a_key_of_every_role_that_can_export_in_bulk(self):
        for url in ("/mel/export/", "/mel/report/"):
            roles = set(resolve(url).func.engage_roles)
            assert roles <= set(security_keys.KEY_REQUIRED_ROLES), url
        assert Role.CASE_MANAGER not in security_keys.KEY_REQUIRED_ROLES

    def test_it_leaves_the_local_demo_without_two_step_alone(self, ada, settings):
        settings.ENGAGE_MFA_REQUIRED = False
        client = _password_only(ada)
        assert client.get("/").status_code == 200


class TestRegistration:
    def test_it_begins_a_registration_for_this_host(self, alice):
        response = _verified(alice, _app(alice)).post(f"{REGISTER}register/begin/")
        assert response.status_code == 200
        options = response.json()
        assert options["rp"] == {"id": "testserver", "name": "Engage"}
        assert options["user"]["name"] == "alice"

    def test_it_refuses_another_key_from_a_session_an_app_code_verified(self, ada):
        SecurityKeyFactory(user=ada)
        client = _verified(ada, _app(ada))
        response = client.post(f"{REGISTER}register/begin/")
        assert response.status_code == 302 and response.url.startswith(VERIFY)
        assert WebAuthnCredential.objects.filter(user=ada).count() == 1

    def test_a_password_only_session_cannot_register_a_key_beside_its_app(self, alice):
        _app(alice)
        response = _password_only(alice).post(f"{REGISTER}register/begin/")
        assert response.status_code == 302
        assert not WebAuthnCredential.objects.exists()

    def test_adding_a_key_needs_the_password_typed_in_the_last_minutes(self, alice, bob):
        """docs/security.md, item 51: a stolen session added its thief's key, a second step
        that outlasts the session, with no password."""
        for user, device in ((alice, _app(alice)), (bob, SecurityKeyFactory(user=bob))):
            stale = _verified(user, device, stepped_up=False)
            begun = stale.post(f"{REGISTER}register/begin/")
            assert begun.status_code == 403, user
            assert "Type your password again first" in begun.json()["detail"]
            assert stale.post(f"{REGISTER}register/complete/", {}).status_code == 403
            page = stale.get(REGISTER)
            assert page.status_code == 302 and page.url.startswith("/accounts/confirm/")
            fresh = _verified(user, device)
            assert fresh.post(f"{REGISTER}register/begin/").status_code == 200
        assert WebAuthnCredential.objects.filter(user=alice).count() == 0

    def test_it_takes_the_relying_party_from_the_setting(self, settings):
        request = RequestFactory().get("/", HTTP_HOST="localhost:8123")
        assert security_keys.relying_party_id(request) == "localhost"
        settings.ENGAGE_WEBAUTHN_RP_ID = "engage.example.org"
        assert security_keys.relying_party_id(request) == "engage.example.org"
        request.user = None
        helper = security_keys.WebAuthnHelper(request)
        assert helper.get_allowed_origins() == ["https://engage.example.org"]


class TestOwnKeysOnly:
    def test_it_lists_the_users_own_keys_only(self, alice, bob):
        SecurityKeyFactory(user=alice, name="Blue key")
        SecurityKeyFactory(user=bob, name="Bob's red key")
        page = _verified(alice, _app(alice)).get("/accounts/two-step/").content.decode()
        assert "Blue key" in page
        assert "red key" not in page

    def test_it_gives_404_for_another_users_key(self, alice, bob):
        theirs = SecurityKeyFactory(user=bob, name="Bob's key")
        client = _verified(alice, _app(alice))
        key = theirs.credential_id_sha256
        assert client.post(f"{REGISTER}name/", {"key": key, "name": "mine"}).status_code == 404
        assert client.get(f"{REGISTER}remove/?key={key}").status_code == 404
        assert client.post(f"{REGISTER}remove/?key={key}").status_code == 404
        theirs.refresh_from_db()
        assert theirs.name == "Bob's key"

    def test_it_renames_a_key(self, alice):
        key = SecurityKeyFactory(user=alice)
        client = _verified(alice, _app(alice))
        response = client.post(
            f"{REGISTER}name/", {"key": key.credential_id_sha256, "name": "  Work laptop "}
        )
        assert response.status_code == 302 and response.url == "/accounts/two-step/"
        key.refresh_from_db()
        assert key.name == "Work laptop"


class TestRemoval:
    def test_removing_a_key_needs_the_password_again(self, alice):
        key = SecurityKeyFactory(user=alice)
        client = _verified(alice, _app(alice), stepped_up=False)
        url = f"{REGISTER}remove/?key={key.credential_id_sha256}"
        response = client.post(url)
        assert (
            response.status_code == 200 and 'name="step_up-password"' in response.content.decode()
        )
        assert WebAuthnCredential.objects.filter(pk=key.pk).exists()
        assert client.post(url, {"step_up-password": "not it"}).status_code == 200
        assert WebAuthnCredential.objects.filter(pk=key.pk).exists()
        assert client.post(url, {"step_up-password": PASSWORD}).status_code == 302
        assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()

    def test_it_audits_the_removal_without_the_name_of_the_key(self, alice):
        key = SecurityKeyFactory(user=alice, name="Zzsentinel key")
        _verified(alice, _app(alice)).post(f"{REGISTER}remove/?key={key.credential_id_sha256}")
        event = AuditEvent.objects.get(detail="webauthn_removed")
        assert event.actor_id == alice.pk and event.object_id == alice.pk
        assert "Zzsentinel" not in str(vars(event))

    def test_an_admin_keeps_their_last_key(self, ada):
        key = SecurityKeyFactory(user=ada)
        client = _verified(ada, key)
        response = client.post(f"{REGISTER}remove/?key={key.credential_id_sha256}", follow=True)
        assert "add another one before removing it" in response.content.decode()
        assert WebAuthnCredential.objects.filter(pk=key.pk).exists()
        second = SecurityKeyFactory(user=ada)
        client.post(f"{REGISTER}remove/?key={second.credential_id_sha256}")
        assert not WebAuthnCredential.objects.filter(pk=second.pk).exists()

    def test_an_admins_reset_removes_the_keys_too(self, ada, bob):
        SecurityKeyFactory(user=bob)
        mfa.reset(bob, by=ada)
        assert not WebAuthnCredential.objects.filter(user=bob).exists()
        response = _password_only(bob).get("/")
        assert response.url.startswith(REGISTER)  # a new key at the next sign-in


class TestSignIn:
    def test_it_audits_a_key_that_does_not_verify(self, ada):
        SecurityKeyFactory(user=ada)
        client = _password_only(ada)
        begin = client.post(f"{REGISTER}sign-in/begin/")
        assert begin.status_code == 200
        assert len(begin.json()["allowCredentials"]) == 1  # her own key only
        forged = {
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {"clientDataJSON": "e30", "authenticatorData": "", "signature": ""},
        }
        response = client.post(
            f"{REGISTER}sign-in/complete/", forged, content_type="application/json"
        )
        assert 400 <= response.status_code < 500
        # In Engage's words, not the library's developer's ("Invalid ... response provided.").
        assert response.json()["detail"] == str(security_keys.KEY_ERRORS["credential_not_found"])
        event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
        assert event.detail.startswith("webauthn ") and event.object_id == ada.pk
        assert client.get("/").status_code == 302  # still not signed in

    def test_a_key_that_does_not_work_is_explained_in_the_persons_language(self, alice):
        """The library's texts are English (or in four of the network's languages): what the
        key's page shows under its button is Engage's, in the person's language."""
        alice.language = "pl"
        alice.save(update_fields=["language"])
        client = _verified(alice, _app(alice))
        # Completed without a beginning: the library's "State is missing or invalid."
        response = client.post(f"{REGISTER}register/complete/", {}, content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == "invalid_state"
        with translation.override("pl"):
            said = str(security_keys.KEY_ERRORS["invalid_state"])
        assert response.json()["detail"] == said
        with translation.override("en"):
            assert said != str(security_keys.KEY_ERRORS["invalid_state"])  # translated
        event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
        assert event.detail == "webauthn invalid_state"

    def test_engages_own_refusal_keeps_its_words_and_an_unknown_code_is_a_plain_failure(self):
        refusal = exceptions.NotVerified(detail="Sentinel own words", code=security_keys.KEY_FIRST)
        assert security_keys.shown_error(refusal, registering=True) == "Sentinel own words"
        odd = exceptions.UnprocessableEntity(code="invalid_cbor", detail="Invalid CBOR data.")
        assert security_keys.shown_error(odd, registering=True) == str(
            security_keys.KEY_NOT_REGISTERED
        )

    def test_a_case_manager_with_a_key_is_offered_it_beside_the_app(self, alice):
        _app(alice)
        SecurityKeyFactory(user=alice)
        client = _password_only(alice)
        page = client.get("/accounts/two-step/verify/").content.decode()
        assert VERIFY in page
        key_page = client.get(VERIFY).content.decode()
        assert "passkey-verification-button" in key_page
        assert "/accounts/two-step/verify/" in key_page  # and the app, instead

    def test_a_password_alone_cannot_set_up_an_app_beside_a_key_kept_after_a_move(self, bob, ada):
        # A supervisor who registered only a key, moved to case manager (who needs no key): the
        # key is still their second step, and their password alone adds no app of its own.
        SecurityKeyFactory(user=bob)
        bob.role = Role.CASE_MANAGER
        bob.save()
        client = _password_only(bob)
        response = client.get("/cases/")
        assert response.status_code == 302 and response.url == f"{VERIFY}?next=%2Fcases%2F"
        for page in ("/accounts/two-step/setup/", "/accounts/two-step/verify/"):
            response = client.get(page)
            assert response.status_code == 302 and response.url.startswith(f"{VERIFY}?next=")
        response = client.post("/accounts/two-step/setup/", {"token": "123456"})
        assert response.status_code == 302 and response.url.startswith(VERIFY)
        assert not TOTPDevice.objects.filter(user=bob).exists()
        assert client.get("/cases/").status_code == 302  # still on the second step
        assert "passkey-verification-button" in client.get(VERIFY).content.decode()

    def test_a_session_its_key_verified_may_still_add_an_app(self, alice):
        client = _verified(alice, SecurityKeyFactory(user=alice))
        response = client.get("/accounts/two-step/setup/")
        assert response.status_code == 200
        assert TOTPDevice.objects.filter(user=alice, confirmed=False).exists()

    def test_it_takes_the_password_again_to_add_an_app_beside_a_key(self, alice, bob):
        """A thief at a laptop left open, whose owner signs in with a key only, set up their
        own app there, a second step that outlasts the session, and was shown the owner's
        replacement recovery codes: item 51's door for keys, left open for apps."""
        for user in (alice, bob):  # a case manager with a key only; a supervisor, who needs one
            stale = _verified(user, SecurityKeyFactory(user=user), stepped_up=False)
            mfa.new_recovery_codes(user)
            codes_before = set(RecoveryCode.objects.filter(user=user).values_list("pk"))
            page = stale.get("/accounts/two-step/setup/")
            assert page.status_code == 302 and page.url.startswith("/accounts/confirm/"), user
            assert not TOTPDevice.objects.filter(user=user).exists()
            # A code of the thief's app, posted straight away, is held at the password prompt.
            device = mfa.pending_device(user)
            sent = stale.post("/accounts/two-step/setup/", {"token": _code(device)})
            assert sent.status_code == 200
            assert 'name="step_up-password"' in sent.content.decode()
            assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            assert set(RecoveryCode.objects.filter(user=user).values_list("pk")) == codes_before
            # The owner, who knows the password, still adds one.
            done = stale.post(
                "/accounts/two-step/setup/",
                {"token": _code(device), "step_up-password": PASSWORD},
            )
            assert done.status_code == 200
            assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            assert set(RecoveryCode.objects.filter(user=user).values_list("pk")) != codes_before


def test_it_gives_the_key_scripts_their_messages_in_french(alice):
    client = _verified(alice, _app(alice))
    catalog = client.get("/accounts/two-step/keys/i18n.js", HTTP_ACCEPT_LANGUAGE="fr")
    assert catalog.status_code == 200
    assert '"Registration successful!": "Cl\\u00e9 enregistr\\u00e9e."' in catalog.content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)
@pytest.mark.django_db(transaction=True)  # two connections see each other's commits
def test_two_removals_at_once_leave_a_key_required_user_one_key(ada):
    """An admin (a key required) with two keys removes both from two tabs at once: the second
    removal waits for the first, then counts one key left and refuses."""
    from tests.row_locks import waits_for

    first, second = SecurityKeyFactory(user=ada), SecurityKeyFactory(user=ada)
    outcome = waits_for(
        lambda: security_keys.remove(first, by=ada),
        lambda: security_keys.remove(second, by=ada),
    )
    assert isinstance(outcome, security_keys.LastKeyError)
    assert list(WebAuthnCredential.objects.filter(user=ada)) == [second]
