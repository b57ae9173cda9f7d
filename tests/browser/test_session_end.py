"""No typed work is lost when the session ends (issue 11 #7), in Chromium.

The session is made to end by moving its last activity back in the database, as 31 idle
minutes would; for the notice, the idle limit is set to just over two minutes, so it comes
twelve seconds after the page is shown, which the test passes by moving the session's last
activity back and the page's clock (Playwright's) forward.
"""

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from engage.accounts.factories import PASSWORD, UserFactory
from engage.accounts.middleware import LAST_SEEN
from engage.cases.factories import CaseFactory, to_included
from engage.cases.models import Assessment, Contact
from tests.browser.test_case_journey import _shot, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Fears the hearing on Friday; has not slept since the letter came. Interpreter: Dari."


@pytest.fixture(autouse=True)
def _patient(page):
    """The machine running the tests may be busy: pages get longer than the usual 10 seconds."""
    page.set_default_timeout(30_000)


@pytest.fixture
def case(organisation, alice, bob):
    return to_included(
        CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Amal"),
        alice,
        bob,
    )


def _session(page) -> SessionStore:
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    return SessionStore(session_key=key)


def _last_seen(page, minutes_ago: float) -> None:
    session = _session(page)
    session[LAST_SEEN] = time.time() - minutes_ago * 60
    session.save()


# A code is typed into a browser and checked a few seconds later, on a machine that may be busy.
FRESH = 15  # seconds left in the code's window at least, when it is computed


def _code(device, offset) -> str:
    """The code of the window `offset` steps from now, computed with `FRESH` seconds of the
    window left: the server accepts one window either side (the device's tolerance), so a code
    of the window before, computed just before a window ends and checked just after, would be
    two windows old and refused (as a person would, one waits for a fresh code)."""
    left = device.step - (time.time() - device.t0) % device.step
    if left < FRESH:
        time.sleep(left + 0.2)
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=offset):06d}"


def _verify(page, code: str) -> None:
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/two-step/verify/" not in url)


def _password(page, username) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _type_assessment(page, case) -> None:
    page.goto(f"/cases/{case.pk}/assessments/new/")
    page.locator("textarea[name=needs]").fill(NOTE)
    for field, value in (("informed_decisions", 2), ("engage_procedures", 3), ("wellbeing", 2)):
        page.locator(f"input[name={field}][value='{value}']").check()


def test_an_assessment_sent_after_the_session_ended_is_saved_after_signing_in_again(
    page, case, alice, settings
):
    settings.ENGAGE_MFA_REQUIRED = True
    # Its windows start now (t0 ten steps of 30 s, the default, ago): the two codes below come
    # in the first seconds of a window, and `_code` need not wait for a fresh one (half the
    # runs slept up to 15 s there when the windows were the clock's).
    device = TOTPDevice.objects.create(
        user=alice, name="app", confirmed=True, t0=int(time.time()) - 10 * 30
    )
    page.goto("/accounts/login/")
    _password(page, "alice")
    _verify(page, _code(device, -1))
    page.get_by_role("navigation", name="Main").wait_for()

    _type_assessment(page, case)
    _last_seen(page, 31)  # forty minutes with the client and the interpreter
    page.get_by_role("button", name="Save").click()

    # Signed out: the sign-in page says the assessment is kept, and nothing is saved yet.
    page.get_by_role("heading", name="Sign in to Engage").wait_for()
    assert "What you typed is kept for 30 minutes" in page.locator(".messages").inner_text()
    _shot(page, "session-01-signed-out-while-sending")
    assert not Assessment.objects.exists()
    _password(page, "alice")
    _verify(page, _code(device, 0))

    page.get_by_role("heading", name="Send the form you were filling in?").wait_for()
    assert "You were signed out while sending this form. Send it now?" in page.inner_text("main")
    page.get_by_text("What you wrote").click()
    assert NOTE in page.inner_text("main")
    _shot(page, "session-02-send-it-now")
    assert not Assessment.objects.exists()  # only the person's click sends it
    page.get_by_role("button", name="Send it now").click()

    page.get_by_text("Assessment recorded.").wait_for()
    assert page.url.endswith(f"/cases/{case.pk}/")
    assessment = Assessment.objects.get()
    assert assessment.needs == NOTE and assessment.recorded_by == alice
    assert (assessment.informed_decisions, assessment.wellbeing) == (2, 2)
    assert NOTE not in _browser_storage(page)


def _browser_storage(page) -> str:
    """Everything the page's origin keeps in localStorage, sessionStorage and IndexedDB."""
    return page.evaluate(
        """async () => JSON.stringify([
            Object.entries(localStorage), Object.entries(sessionStorage),
            (await indexedDB.databases()).map(d => d.name)])"""
    )


def test_no_page_is_copied_into_the_browsers_storage(page, case, alice):
    _sign_in(page, "alice")
    page.goto("/cases/")
    with page.expect_response(lambda r: "q=Ama" in r.url):
        page.locator("#id_q").fill("Amal")  # htmx, pushed to the history
    page.get_by_role("link", name="Amal").first.wait_for()
    page.get_by_role("link", name="Amal").first.click()
    page.go_back()
    page.locator("#id_q").wait_for()
    stored = _browser_storage(page)
    assert "Amal" not in stored.replace("q=Amal", "") and "htmx-history-cache" not in stored


def test_the_notice_offers_to_stay_signed_in_and_only_the_click_renews(page, case, alice, settings):
    settings.ENGAGE_IDLE_MINUTES = 2.2  # the notice comes two minutes before: after 12 seconds
    page.clock.install()  # the page's own time: moved forward below instead of waited for
    _sign_in(page, "alice")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    _type_assessment(page, case)
    page.locator("textarea[name=needs]").focus()

    # Twelve idle seconds, on both sides: the session's last activity moved back in the
    # database, the page's clock moved forward (its timer asks the server then).
    _last_seen(page, minutes_ago=12 / 60)
    moved = _session(page)[LAST_SEEN]
    page.clock.fast_forward(12_000)
    notice = page.get_by_role("complementary", name="Your session")
    notice.get_by_text("because nothing was sent for a while").wait_for()
    assert "You will be signed out in two minutes" in page.locator("#session-announce").inner_text()
    # Typing goes on where it was: the notice does not take the focus from the field.
    assert page.evaluate("document.activeElement.name") == "needs"
    _shot(page, "session-03-stay-signed-in")
    before = _session(page)[LAST_SEEN]
    assert posts == []  # the checks of the time left renew nothing
    assert before == moved and time.time() - before > 10

    notice.get_by_role("button", name="Stay signed in").click()
    notice.get_by_text("You stay signed in.").wait_for()
    assert [url.split("/", 3)[3] for url in posts] == ["accounts/session/stay/"]
    assert _session(page)[LAST_SEEN] > before + 10
    assert page.locator("textarea[name=needs]").input_value() == NOTE
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Assessment recorded.").wait_for()
    assert Assessment.objects.get().needs == NOTE


def test_a_background_request_after_the_session_ended_pastes_no_sign_in_page(page, case, alice):
    _sign_in(page, "alice")
    page.goto(f"/cases/{case.pk}/")
    quick = page.locator("#quick-contact")
    quick.locator("select[name=type]").select_option("face_to_face")
    quick.locator("select[name=engagement_level]").select_option("active")
    quick.locator("textarea[name=note]").fill(NOTE)
    _last_seen(page, 31)
    with page.expect_response(lambda r: "/contacts/new/" in r.url) as sent:
        quick.get_by_role("button", name="Log contact").click()
    assert sent.value.status == 401

    notice = page.get_by_role("complementary", name="Your session")
    notice.get_by_text("What you typed on this page is still here").wait_for()
    assert page.get_by_role("heading", name="Sign in to Engage").count() == 0
    assert quick.locator("textarea[name=note]").input_value() == NOTE  # nothing swapped
    _shot(page, "session-04-background-request-signed-out")

    # Signing in again in another tab, then coming back, lets the page send what it holds.
    with page.context.expect_page() as opened:
        notice.get_by_role("link", name="Sign in again in a new tab").click()
    other = opened.value
    _password(other, "alice")
    other.get_by_role("navigation", name="Main").wait_for()
    other.close()
    page.bring_to_front()
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    notice.get_by_text("You are signed in again.").wait_for()
    quick.get_by_role("button", name="Log contact").click()
    page.locator("#timeline, main").get_by_text(NOTE).first.wait_for()
    assert Contact.objects.get().note == NOTE


def test_a_planted_cross_site_post_is_never_saved(page, case, alice, live_server):
    _sign_in(page, "alice")
    _last_seen(page, 31)  # the session ended; the browser still holds its cookie
    page.set_content(
        f"""<form method="post" action="{live_server.url}/cases/{case.pk}/assessments/new/">
        <input name="date" value="2026-01-20"><input name="needs" value="Planted">
        <input name="informed_decisions" value="1"><input name="engage_procedures" value="1">
        <input name="wellbeing" value="1"></form>"""
    )
    with page.expect_navigation():
        page.evaluate("document.forms[0].submit()")
    assert "Planted" not in page.content()

    page.goto("/accounts/login/")
    _password(page, "alice")
    page.get_by_role("navigation", name="Main").wait_for()
    page.goto("/accounts/session/kept-form/")
    page.get_by_text("There is no form waiting to be sent.").wait_for()
    assert not Assessment.objects.exists()


def test_someone_else_signing_in_does_not_get_the_form(page, case, alice, organisation):
    UserFactory(username="dora", first_name="Dora", organisation=organisation)
    _sign_in(page, "alice")
    _type_assessment(page, case)
    _last_seen(page, 31)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Sign in to Engage").wait_for()

    _password(page, "dora")  # a colleague at the same computer
    page.get_by_text("belonged to someone else's session").wait_for()
    assert NOTE not in page.content()
    _shot(page, "session-05-someone-else")
    assert not Assessment.objects.exists()


@pytest.fixture
def authenticator(page):
    """Chromium's virtual authenticator, as in test_security_keys.py."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    yield
    cdp.send("WebAuthn.disable")


def test_a_supervisor_signs_in_again_with_a_security_key_and_sends_the_form(
    page, authenticator, case, bob, settings
):
    settings.ENGAGE_MFA_REQUIRED = True
    page.goto("/accounts/login/")
    _password(page, "bob")  # a supervisor signs in with a key: registered first
    page.get_by_role("button", name="Register a security key").click()
    page.locator(".message.success").wait_for()

    _type_assessment(page, case)
    _last_seen(page, 31)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Sign in to Engage").wait_for()
    _password(page, "bob")
    page.get_by_role("button", name="Use my security key").click()  # its script leaves by GET

    page.get_by_role("heading", name="Send the form you were filling in?").wait_for()
    assert not Assessment.objects.exists()
    page.get_by_role("button", name="Send it now").click()
    page.get_by_text("Assessment recorded.").wait_for()
    assert Assessment.objects.get().recorded_by == bob
