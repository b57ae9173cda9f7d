"""An org admin registers a security key, then signs in with it, in Chromium (R17).

Chromium's virtual authenticator (DevTools protocol) stands in for the key: it does the real
WebAuthn ceremonies with the library's scripts and our server, only the touch is automatic.
The live server is on http://localhost, which Chromium treats as a secure context, and the
relying party id is the request's host (ENGAGE_WEBAUTHN_RP_ID unset), so they match.
"""

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from engage.accounts.factories import PASSWORD
from engage.audit.models import AuditEvent
from tests.browser.test_case_journey import _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    yield cdp, added["authenticatorId"]
    cdp.send("WebAuthn.disable")


def _password(page, username):
    page.goto("/cases/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_it_registers_a_key_and_signs_in_with_it(page, authenticator, ada, settings):
    settings.ENGAGE_MFA_REQUIRED = True
    cdp, authenticator_id = authenticator

    # An org admin without a key is sent to register one before anything else.
    _password(page, "ada")
    page.get_by_role("heading", name="Add a security key").wait_for()
    assert "bulk" in page.locator("main").inner_text()
    page.get_by_label("Name of the key").fill("Blue key")
    page.get_by_role("button", name="Register a security key").wait_for()
    _shot(page, "security-key-register")
    page.get_by_role("button", name="Register a security key").click()

    # Named, and on to the page first asked for.
    page.locator(".message.success").wait_for()
    assert "Blue key" in page.locator(".message.success").inner_text()
    assert page.url.endswith("/cases/")
    key = WebAuthnCredential.objects.get(user=ada)
    assert key.name == "Blue key"
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(stored["credentials"]) == 1  # the key holds it, the server has its public half
    assert AuditEvent.objects.filter(detail="webauthn_enrolled", actor_id=ada.pk).count() == 1

    page.goto("/accounts/two-step/")
    page.get_by_role("heading", name="Security keys and passkeys").wait_for()
    assert page.get_by_label("Name of the key").input_value() == "Blue key"
    _shot(page, "security-key-list")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in to Engage").wait_for()

    # The next sign-in asks for the key, and the key does it.
    _password(page, "ada")
    page.get_by_role("heading", name="Two-step verification").wait_for()
    _shot(page, "security-key-verify")
    page.get_by_role("button", name="Use my security key").click()
    page.wait_for_url("**/cases/")
    page.get_by_role("heading", name="Cases").wait_for()
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).exists()
