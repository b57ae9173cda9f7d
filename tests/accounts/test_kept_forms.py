"""No typed work is lost when the session ends (issue 11 #7): a form sent just after the idle
sign-out is kept for the same person, who signs in again (both steps) and sends it by their
own click; a background request gets 401, never the sign-in page; checking the time left is
not activity, only "Stay signed in" is."""

import re
import time

import pytest
from django.test import Client, RequestFactory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from engage.accounts import kept_forms, step_up
from engage.accounts.factories import PASSWORD, UserFactory
from engage.accounts.middleware import LAST_SEEN, STARTED_AT
from engage.accounts.models import Role
from engage.accounts.permissions import AUTHENTICATED_AT, recently_authenticated
from engage.cases.factories import CaseFactory, days_ago, to_included
from engage.cases.models import Assessment
from engage.mel import services as mel
from engage.mel.cycles import services as cycles
from engage.mel.dataset import submission
from engage.mel.models import Narrative
from tests.mel.rows import row
from tests.mel.terms import TERM

pytestmark = pytest.mark.django_db

KEPT_PAGE = "/accounts/session/kept-form/"
NOTE = "Worried about the hearing on Friday; sleeps badly since the letter came."


@pytest.fixture
def case(organisation, alice, bob):
    return to_included(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)


def _assessment(case) -> tuple[str, dict]:
    return f"/cases/{case.pk}/assessments/new/", {
        "date": days_ago(0).isoformat(),
        "trigger": "scheduled",
        "needs": NOTE,
        "informed_decisions": "3",
        "engage_procedures": "2",
        "wellbeing": "4",
    }


def _signed_in(user, client=None, next_url="") -> Client:
    client = client or Client()
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    client.post("/accounts/login/", data)
    return client


def _idle(client, minutes=31):
    session = client.session
    session[LAST_SEEN] = time.time() - minutes * 60
    session.save()


def _hidden_fields(page: str) -> list[tuple[str, str]]:
    form = page[page.index('<form method="post" action="/cases/') :]
    form = form[: form.index("</form>")]
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)


def test_it_keeps_a_form_sent_after_the_idle_limit_until_the_same_person_sends_it(case, alice):
    client = _signed_in(alice)
    url, data = _assessment(case)
    _idle(client)

    response = client.post(url, data)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={KEPT_PAGE.replace('/', '%2F')}"
    assert not Assessment.objects.exists()
    page = client.get(response.url).content.decode()
    assert "What you typed is kept for 30 minutes: sign in again to send it." in page
    # Kept in the browser's new session, encrypted with the field keys.
    kept = client.session[kept_forms.KEPT]
    assert kept["user"] == str(alice.pk) and kept["path"] == url
    assert NOTE not in str(dict(client.session.items()))

    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": KEPT_PAGE}
    )
    assert response.url == KEPT_PAGE
    page = client.get(KEPT_PAGE).content.decode()
    assert "You were signed out while sending this form. Send it now?" in page
    assert not Assessment.objects.exists()  # nothing is sent before the person says so
    fields = _hidden_fields(page)
    names = [name for name, _ in fields]
    assert names.count("csrfmiddlewaretoken") == 1  # the new session's, not the old one
    assert ("needs", NOTE) in fields

    response = client.post(url, dict(fields))
    assert response.status_code == 302 and response.url == case.get_absolute_url()
    assessment = Assessment.objects.get()
    assert assessment.needs == NOTE and assessment.recorded_by == alice
    assert kept_forms.KEPT not in client.session  # sent: forgotten
    assert "There is no form waiting" in client.get(KEPT_PAGE, follow=True).content.decode()


def test_the_kept_form_goes_through_the_second_step(case, alice, settings):
    settings.ENGAGE_MFA_REQUIRED = True
    device = TOTPDevice.objects.create(user=alice, name="app", confirmed=True)
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.post("/accounts/two-step/verify/", {"token": _code(device, -1)})
    url, data = _assessment(case)
    _idle(client)
    assert client.post(url, data).url.endswith("kept-form%2F")

    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": KEPT_PAGE}
    )
    response = client.get(response.url)  # the kept form waits behind the second step
    assert response.url == f"/accounts/two-step/verify/?next={KEPT_PAGE.replace('/', '%2F')}"
    response = client.post(
        "/accounts/two-step/verify/", {"token": _code(device), "next": KEPT_PAGE}
    )
    assert response.url == KEPT_PAGE
    fields = _hidden_fields(client.get(KEPT_PAGE).content.decode())
    client.post(url, dict(fields))
    assert Assessment.objects.get().needs == NOTE


def _code(device, offset=0) -> str:
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=offset):06d}"


def test_someone_else_signing_in_does_not_get_the_form(case, alice, organisation):
    UserFactory(username="dora", organisation=organisation)
    client = _signed_in(alice)
    url, data = _assessment(case)
    _idle(client)
    client.post(url, data)

    client.post("/accounts/login/", {"username": "dora", "password": PASSWORD, "next": KEPT_PAGE})
    page = client.get(KEPT_PAGE, follow=True).content.decode()
    assert "belonged to someone else&#x27;s session: it was deleted, not sent." in page
    assert NOTE not in page
    assert kept_forms.KEPT not in client.session
    assert not Assessment.objects.exists()
    # Nor does the first person find it afterwards.
    client.post("/accounts/logout/")
    _signed_in(alice, client)
    assert "There is no form waiting" in client.get(KEPT_PAGE, follow=True).content.decode()


def test_a_planted_post_is_never_kept_nor_saved(case, alice):
    url, data = _assessment(case)
    # From another site: the browser sends neither the session nor the CSRF cookie.
    stranger = Client(enforce_csrf_checks=True)
    assert stranger.post(url, data).status_code == 403
    # Into a browser whose session has just ended, still without the page's CSRF token.
    victim = _signed_in(alice, Client(enforce_csrf_checks=True))
    _idle(victim)
    assert victim.post(url, data).status_code == 403
    assert kept_forms.KEPT not in victim.session
    # A browser that was never signed in (or signed out on purpose) keeps nothing either.
    anonymous = Client()
    response = anonymous.post(url, data, follow=True)
    assert "You are not signed in, so what you sent was not saved." in response.content.decode()
    assert kept_forms.KEPT not in anonymous.session
    assert not Assessment.objects.exists()


def test_a_form_that_needs_the_password_again_is_never_kept(alice, ada):
    # Someone at the admin's timed-out browser writes a role change for a colleague: it is not
    # kept, so the admin's sign-in cannot send it as a confirmed change.
    client = _signed_in(ada)
    _idle(client)
    role_change = {"first_name": alice.first_name, "last_name": alice.last_name,
                   "email": alice.email, "role": "org_admin", "team": "",
                   "may_override_consent": "on", "language": "", "version": alice.version}  # fmt: skip
    response = client.post(f"/accounts/users/{alice.pk}/", role_change)
    assert response.status_code == 302 and "kept-form" not in response.url
    assert kept_forms.KEPT not in client.session
    assert "what you sent was not saved" in client.get(response.url).content.decode()
    _signed_in(ada, client)
    assert client.get(KEPT_PAGE).status_code == 302  # nothing waits
    alice.refresh_from_db()
    assert alice.role == Role.CASE_MANAGER and not alice.may_override_consent


def test_a_form_that_decides_is_never_kept_only_one_that_records_typed_work(case, bob, alice):
    """docs/security.md, item 54: someone at Bob's timed-out browser gave a case to himself;
    the page that offered the kept form showed no text (a person's id, a version), so Bob's
    "Send it now" reassigned the case, its sensitive parts with it."""
    carl = UserFactory(username="carl", organisation=case.organisation)
    client = _signed_in(bob)
    _idle(client)
    response = client.post(
        f"/cases/{case.pk}/reassign/", {"case_manager": str(carl.pk), "version": case.version}
    )
    assert response.status_code == 302 and "kept-form" not in response.url
    assert kept_forms.KEPT not in client.session
    _signed_in(bob, client)
    assert client.get(KEPT_PAGE).status_code == 302  # nothing waits
    case.refresh_from_db()
    assert case.case_manager == alice
    # Every view that keeps a form records what someone wrote; none decides who sees what.
    from django.urls import URLResolver, get_resolver

    def views(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or namespace
                yield from views(entry.url_patterns, inner)
            else:
                yield f"{namespace}:{entry.name}", entry.callback

    kept = {
        name
        for name, view in views(get_resolver().url_patterns)
        if getattr(view, "engage_keeps_typed_work", False)
    }
    assert "cases:assessment_create" in kept and "cases:contact_create" in kept
    # What someone wrote down of what happened: a liaison's outcome, a reporting day, news of a
    # referral, an interaction, an activity, an evaluation's narrative, a request for data.
    assert {
        "liaison:record", "liaison:obligation", "directory:referral", "network:interaction_new",
        "network:activity_new", "network:activity_edit", "mel:narrative", "sharing:request_new",
    } <= kept  # fmt: skip
    assert not kept & {
        "cases:reassign", "cases:reassign_cases", "cases:inclusion_review",
        "cases:closure_review", "cases:plan_approval", "cases:duplicate_decide", "cases:reopen",
        "liaison:letter_new", "accounts:user_edit",
        # Who sees what: data disclosed to a service, a consent withdrawn, a record shown to
        # the network (a service's or a stakeholder's "shared").
        "directory:referral_new", "sharing:consent_withdraw", "sharing:share_new",
        "directory:service_edit", "network:stakeholder_new", "network:stakeholder_edit",
    }  # fmt: skip


def test_a_kept_form_sent_again_is_not_vouched_for_by_the_sign_in(alice):
    # Sent again after the sign-in, a kept form is not vouched for by it: a view that asks for
    # the password only in some cases (here a share that overrides consent) asks for it.
    client = _signed_in(alice)
    session = client.session
    session[kept_forms.KEPT] = {
        "user": str(alice.pk), "path": "/some/form/", "at": time.time(),
        "fields": kept_forms.crypto.encrypt("[]"), "files": False,
    }  # fmt: skip
    session.save()
    request = RequestFactory().post("/some/form/")
    request.user, request.session = alice, client.session
    assert recently_authenticated(request)  # signed in a moment ago
    kept_forms.settle(request)
    assert not recently_authenticated(request)


def test_the_password_typed_at_the_prompt_is_never_kept(nadia, tmp_path):
    """The session ended while the password prompt carried a form (a narrative of a snapshot
    with exact figures): the password typed there went with the form into the signed-out
    browser's session, was shown under "What you wrote" and sat in the page as a hidden
    input, and sent again it passed the prompt with no one typing it."""
    rows = [row(n, inclusion_month="2023-03") for n in range(20)]
    submission.write(tmp_path, "BG-CLA", "2024-12", rows)
    mel.import_submission(tmp_path)
    cycle = cycles.define_cycle(by=nadia, data=TERM)
    snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="exact")
    url = f"/mel/snapshots/{snapshot.pk}/narrative/"
    client = _signed_in(nadia)
    session = client.session
    session[AUTHENTICATED_AT] = time.time() - 3600
    session.save()
    narrative = {"area": "growth", "lessons": NOTE, "version": ""}
    prompt = client.post(url, narrative)
    assert 'name="step_up-password"' in prompt.content.decode()
    _idle(client)  # away from the prompt for half an hour; then the password, and send

    response = client.post(url, {**narrative, "step_up-password": PASSWORD})
    assert response.url.endswith("kept-form%2F")
    _signed_in(nadia, client)
    page = client.get(KEPT_PAGE).content.decode()
    assert NOTE in page  # the narrative is kept
    assert PASSWORD not in page
    assert f"{step_up.PREFIX}-password" not in page
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    sent = client.post(url, fields)
    # Sent again, it is not vouched for: the prompt asks for the password, typed now.
    assert sent.status_code == 200 and 'name="step_up-password"' in sent.content.decode()
    assert not Narrative.objects.exists()


def test_a_kept_form_is_sent_only_by_the_persons_click_and_can_be_deleted(case, alice):
    client = _signed_in(alice)
    url, data = _assessment(case)
    _idle(client)
    client.post(url, data)
    _signed_in(alice, client)
    for _ in range(2):  # opening the page again sends nothing
        assert client.get(KEPT_PAGE).status_code == 200
    assert not Assessment.objects.exists()
    response = client.post(KEPT_PAGE, follow=True)
    assert "deleted, not sent" in response.content.decode()
    assert kept_forms.KEPT not in client.session
    assert not Assessment.objects.exists()


def test_a_kept_form_waits_only_so_long(case, alice, settings):
    settings.ENGAGE_KEPT_FORM_MINUTES = 5
    client = _signed_in(alice)
    url, data = _assessment(case)
    _idle(client)
    client.post(url, data)
    session = client.session
    session[kept_forms.KEPT] = {**session[kept_forms.KEPT], "at": time.time() - 6 * 60}
    session.save()
    _signed_in(alice, client)
    page = client.get(KEPT_PAGE, follow=True).content.decode()
    assert "waited more than 5 minutes: it was deleted, not sent." in page
    assert NOTE not in page


def test_it_says_a_chosen_file_could_not_be_kept(case, alice, tmp_path):
    client = _signed_in(alice)
    _idle(client)
    attachment = tmp_path / "letter.pdf"
    attachment.write_bytes(b"%PDF-1.4 letter")
    with attachment.open("rb") as file:
        client.post(f"/documents/cases/{case.pk}/", {"title": "Letter", "file": file})
    _signed_in(alice, client)
    page = client.get(KEPT_PAGE).content.decode()
    assert "A file you had chosen could not be kept" in page
    assert "letter.pdf" not in page and "PDF-1.4" not in page


def test_a_background_request_gets_401_never_the_sign_in_page(case, alice):
    client = _signed_in(alice)
    _idle(client)
    url, data = _assessment(case)
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    assert "Sign in" not in response.content.decode()
    assert response.json() == {"signed_in": False}
    assert kept_forms.KEPT not in client.session  # the page still holds what was typed
    response = client.get(f"/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    response = client.get("/accounts/session/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert client.get("/cases/").status_code == 302  # a page still goes to the sign-in page


def test_checking_the_time_left_is_not_activity_but_stay_signed_in_is(alice):
    client = _signed_in(alice)
    _idle(client, minutes=28)
    before = client.session[LAST_SEEN]
    status = client.get("/accounts/session/", HTTP_ACCEPT="application/json").json()
    assert status["signed_in"] and status["user"] == str(alice.pk)
    assert 100 < status["seconds_left"] <= 120 and not status["absolute"]
    assert client.session[LAST_SEEN] == before

    status = client.post("/accounts/session/stay/", HTTP_ACCEPT="application/json").json()
    assert status["seconds_left"] > 29 * 60
    assert client.session[LAST_SEEN] > before + 27 * 60

    _idle(client, minutes=31)  # too late to stay: the click finds the session ended
    response = client.post("/accounts/session/stay/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_every_signed_in_page_carries_the_notice_with_the_time_left(alice):
    client = _signed_in(alice)
    _idle(client, minutes=0.5)  # the server notes activity at most once a minute
    page = client.get("/").content.decode()
    left = int(re.search(r'data-seconds-left="(\d+)"', page).group(1))
    assert 29 * 60 < left <= 29 * 60 + 30
    assert "Stay signed in" in page and "engage/session.js" in page
    assert 'id="session-notice" class="session-notice" hidden' in page  # shown by the script
    login = Client().get("/accounts/login/").content.decode()
    assert "session-notice" not in login


def test_it_says_when_the_absolute_limit_comes_first(alice):
    client = _signed_in(alice)
    session = client.session
    session[STARTED_AT] = time.time() - (12 * 3600 - 100)
    session.save()
    status = client.get("/accounts/session/", HTTP_ACCEPT="application/json").json()
    assert status["absolute"] and status["seconds_left"] <= 100
    # Staying cannot help then.
    status = client.post("/accounts/session/stay/", HTTP_ACCEPT="application/json").json()
    assert status["seconds_left"] <= 100
