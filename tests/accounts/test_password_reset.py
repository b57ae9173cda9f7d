"""Self-service password reset is safe (R18): it tells nobody whether an account exists, its
link works once and briefly, it never skips the second step, and it ends every other session."""

import datetime
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client, RequestFactory
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from engage.accounts.factories import PASSWORD, UserFactory
from engage.accounts.views import PasswordResetView
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, PersonFactory

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"
NEW_PASSWORD = "a brand new passphrase of mine"
# What changes from one request to the next whatever was asked: tokens and nonces.
_VARYING = re.compile(r'(csrfmiddlewaretoken" value=|X-CSRFToken": |nonce=)"?[\w-]+"?')


def _ask(email: str) -> tuple:
    client = Client()
    first = client.post(RESET, {"email": email})
    page = client.get(first.url)
    return first, page


def _link() -> str:
    (message,) = mail.outbox
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)


def _choose(client: Client, link: str, password: str = NEW_PASSWORD):
    form = client.get(link, follow=True)
    return client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": password, "new_password2": password},
    )


@pytest.fixture
def alice_with_email(alice):
    alice.email = "alice@pilot.example"
    alice.save(update_fields=["email"])
    return alice


def test_it_links_to_the_reset_from_the_sign_in_page(client):
    page = client.get("/accounts/login/").content.decode()
    assert f'href="{RESET}"' in page and "Forgot your password?" in page


def test_it_answers_a_known_and_an_unknown_address_alike(alice_with_email):
    known, known_page = _ask("Alice@Pilot.example")
    assert len(mail.outbox) == 1
    unknown, unknown_page = _ask("nobody@pilot.example")
    assert len(mail.outbox) == 1  # nothing sent for an unknown address
    assert (
        (known.status_code, known.url)
        == (unknown.status_code, unknown.url)
        == (
            302,
            "/accounts/password/reset/sent/",
        )
    )
    assert set(known.headers) == set(unknown.headers)
    assert known_page.status_code == unknown_page.status_code == 200
    assert _VARYING.sub("", known_page.content.decode()) == _VARYING.sub(
        "", unknown_page.content.decode()
    )


def test_it_sends_the_email_only_after_the_answer_has_gone(alice_with_email):
    request = RequestFactory().post(RESET, {"email": alice_with_email.email})
    request._dont_enforce_csrf_checks = True
    request.session = Client().session
    response = PasswordResetView.as_view()(request)
    assert response.status_code == 302 and mail.outbox == []
    response.close()  # what the WSGI server does once the response is sent
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [alice_with_email.email]


def test_its_link_sets_a_new_password_once(alice_with_email):
    _ask(alice_with_email.email)
    link = _link()
    client = Client()
    done = _choose(client, link)
    assert done.status_code == 302 and done.url == "/accounts/password/reset/done/"
    alice_with_email.refresh_from_db()
    assert alice_with_email.check_password(NEW_PASSWORD)
    assert not alice_with_email.must_change_password  # they chose it themselves

    again = Client().get(link, follow=True)
    assert "This link does not work" in again.content.decode()
    replay = _choose(Client(), link, "yet another passphrase here")
    assert "This link does not work" in replay.content.decode()
    alice_with_email.refresh_from_db()
    assert alice_with_email.check_password(NEW_PASSWORD)


def test_its_link_tells_nothing_about_the_account_it_names(alice_with_email, bob):
    """A forged link for a real account and one for no account get the same page."""
    forged = f"/accounts/password/reset/{urlsafe_base64_encode(force_bytes(bob.pk))}/abc-123/"
    nobody = "/accounts/password/reset/bm9ib2R5/abc-123/"
    urls = (forged, nobody)
    pages = [Client().get(url) for url in urls]
    assert [page.status_code for page in pages] == [200, 200]
    # The language switcher returns to the page's own address; the rest must be the same.
    texts = [
        _VARYING.sub("", page.content.decode()).replace(url, "URL")
        for page, url in zip(pages, urls, strict=True)
    ]
    assert texts[0] == texts[1] and "This link does not work" in texts[0]


def test_its_link_expires_after_an_hour(alice_with_email, settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    now = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(now, tick=False):
        _ask(alice_with_email.email)
    link = _link()
    with time_machine.travel(now + datetime.timedelta(minutes=59), tick=False):
        assert "Choose a new password" in Client().get(link, follow=True).content.decode()
    with time_machine.travel(now + datetime.timedelta(minutes=61), tick=False):
        late = _choose(Client(), link)
    assert "This link does not work" in late.content.decode()
    alice_with_email.refresh_from_db()
    assert alice_with_email.check_password(PASSWORD)


def test_it_still_asks_for_the_second_step_after_a_reset(alice_with_email, settings):
    settings.ENGAGE_MFA_REQUIRED = True
    TOTPDevice.objects.create(user=alice_with_email, name="app", confirmed=True)
    _ask(alice_with_email.email)
    client = Client()
    _choose(client, _link())
    assert client.get("/").status_code == 302  # the reset signed nobody in
    signed_in = client.post(
        "/accounts/login/", {"username": "alice", "password": NEW_PASSWORD}, follow=True
    )
    assert signed_in.redirect_chain[-1][0].startswith("/accounts/two-step/verify/")
    response = client.get("/cases/")
    assert response.status_code == 302 and response.url.startswith("/accounts/two-step/verify/")


def test_it_ends_every_session_of_the_person(alice_with_email):
    elsewhere = Client()
    elsewhere.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert elsewhere.get("/").status_code == 200
    _ask(alice_with_email.email)
    _choose(Client(), _link())
    assert elsewhere.get("/").status_code == 302
    assert not [
        s
        for s in Session.objects.all()
        if s.get_decoded().get("_auth_user_id") == str(alice_with_email.pk)
    ]


def test_it_audits_the_reset_without_personal_data(alice_with_email):
    _ask(alice_with_email.email)
    _choose(Client(), _link())
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_CHANGE)
    assert (event.actor_id, event.object_id, event.detail) == (
        alice_with_email.pk,
        alice_with_email.pk,
        "reset",
    )
    stored = " ".join(str(v) for v in AuditEvent.objects.values_list().all())
    assert "alice" not in stored.lower() and NEW_PASSWORD not in stored


def test_it_sends_nothing_to_a_deactivated_account(organisation):
    UserFactory(
        username="gone", email="gone@pilot.example", organisation=organisation, is_active=False
    )
    first, _page = _ask("gone@pilot.example")
    assert first.url == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_its_email_is_about_the_account_and_names_no_client(alice_with_email, organisation):
    person = PersonFactory(organisation=organisation, given_name="Sentinelgiven", family_name="Zyx")
    CaseFactory(organisation=organisation, person=person, case_manager=alice_with_email)
    _ask(alice_with_email.email)
    (message,) = mail.outbox
    text = message.subject + message.body + "".join(str(a) for a in message.alternatives)
    assert '"alice"' in message.body and "Two-step verification still applies" in message.body
    assert "Sentinelgiven" not in text and "Zyx" not in text
    assert str(person.pk) not in text and organisation.name not in text


def test_it_does_not_let_a_link_sent_before_a_deactivation_choose_the_password(
    alice_with_email, ada
):
    """A link asked for on the last day still chose the password of the account once it was
    deactivated: the one who left held the password it would have again when reactivated."""
    from engage.accounts import services

    _ask("alice@pilot.example")
    link = _link()
    services.deactivate_user(alice_with_email, by=ada)
    client = Client()
    response = _choose(client, link)
    alice_with_email.refresh_from_db()
    assert not alice_with_email.check_password(NEW_PASSWORD)
    assert alice_with_email.check_password(PASSWORD)
    assert response.status_code == 200 and 'name="new_password1"' not in response.content.decode()
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.PASSWORD_CHANGE, detail="reset"
    ).exists()
