"""Each person's language follows them (switch, sign-in, emails, documents), and everything
shown is in their organisation's time zone (issue 12, items 2 and 3)."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from engage.accounts import services
from engage.accounts.factories import PASSWORD
from engage.accounts.middleware import UserLocaleMiddleware
from engage.audit.models import AuditEvent
from engage.audit.services import record
from tests.mel import reports
from tests.pdf import pdf_text

pytestmark = pytest.mark.django_db

NOON_UTC = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.UTC)


def _french(text: str) -> str:
    with translation.override("fr"):
        french = translation.gettext(text)
    assert french != text
    return french


def _html_lang(response) -> str:
    body = response.content.decode()
    return body.split('<html lang="', 1)[1].split('"', 1)[0]


class TestPersonsLanguage:
    def test_it_keeps_the_language_chosen_with_the_header_switch(self, as_user, alice):
        response = as_user(alice).post("/i18n/setlang/", {"language": "pl", "next": "/"})
        assert response.status_code == 302
        alice.refresh_from_db()
        assert alice.language == "pl"
        assert AuditEvent.objects.filter(
            actor_id=alice.pk, action=AuditEvent.Action.UPDATE, detail="language"
        ).exists()

    def test_the_switch_on_a_page_of_errors_goes_back_to_the_page_the_form_was_on(
        self, as_user, alice, bob, organisation
    ):
        """A goal sent without its area answers at the form's address, which takes POST only:
        the switch sent the person back there, to a 405."""
        from engage.cases.factories import CaseFactory, to_active

        _case, plan = to_active(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        client = as_user(alice)
        plan_page = f"http://testserver/cases/plans/{plan.pk}/"
        errors = client.post(
            f"/cases/plans/{plan.pk}/goals/", {"description": "Zz"}, HTTP_REFERER=plan_page
        )
        assert errors.status_code == 200
        switch = errors.content.decode().split('class="language-switcher"', 1)[1]
        assert f'name="next" type="hidden" value="{plan_page}"' in switch
        back = client.post("/i18n/setlang/", {"language": "fr", "next": plan_page})
        assert back.status_code == 302 and back.url == plan_page
        assert client.get(back.url).status_code == 200

    def test_it_keeps_nothing_for_someone_signed_out(self, client, alice):
        response = client.post("/i18n/setlang/", {"language": "el", "next": "/accounts/login/"})
        assert response.status_code == 302
        assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "el"
        alice.refresh_from_db()
        assert alice.language == ""

    def test_it_refuses_a_language_engage_does_not_speak(self, as_user, alice):
        as_user(alice).post("/i18n/setlang/", {"language": "de", "next": "/"})
        alice.refresh_from_db()
        assert alice.language == ""
        with pytest.raises(ValidationError):
            services.set_language(alice, "xx")

    def test_it_speaks_the_persons_language_in_any_browser(self, alice):
        services.set_language(alice, "bg")
        elsewhere = Client(headers={"accept-language": "en"})
        elsewhere.force_login(alice)
        assert _html_lang(elsewhere.get("/")) == "bg"

    def test_it_sets_the_language_at_sign_in(self, alice):
        services.set_language(alice, "it")
        browser = Client(headers={"accept-language": "en"})
        response = browser.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        assert response.status_code == 302
        assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "it"
        assert _html_lang(browser.get("/")) == "it"

    @pytest.mark.parametrize("language", ["fr", "nl", "bg", "el", "it", "pl", "en"])
    def test_its_sign_in_page_follows_the_browsers_language(self, language):
        page = Client(headers={"accept-language": f"{language},en;q=0.5"}).get("/accounts/login/")
        assert page.status_code == 200
        assert _html_lang(page) == language

    def test_it_writes_the_password_reset_email_in_the_persons_language(self, alice):
        alice.email = "alice@pilot.example"
        alice.save(update_fields=["email"])
        services.set_language(alice, "fr")
        Client(headers={"accept-language": "en"}).post(
            "/accounts/password/reset/", {"email": alice.email}
        )
        (message,) = mail.outbox
        assert message.subject == _french("Engage: choose a new password")
        assert "Someone asked" not in message.body

    def test_it_writes_the_email_in_the_pages_language_without_a_choice(self, alice):
        alice.email = "alice@pilot.example"
        alice.save(update_fields=["email"])
        Client(headers={"accept-language": "fr"}).post(
            "/accounts/password/reset/", {"email": alice.email}
        )
        (message,) = mail.outbox
        assert message.subject == _french("Engage: choose a new password")

    def test_it_lets_the_admin_set_a_colleagues_language(self, as_user, ada, alice):
        client = as_user(ada)
        page = client.get(f"/accounts/users/{alice.pk}/")
        assert 'name="language"' in page.content.decode()
        response = client.post(
            f"/accounts/users/{alice.pk}/",
            {
                "first_name": "Alice",
                "last_name": "",
                "email": "",
                "role": alice.role,
                "team": alice.team_id,
                "language": "el",
                "version": alice.version,
            },
        )
        assert response.status_code == 302
        alice.refresh_from_db()
        assert alice.language == "el"


class TestOrganisationTimeZone:
    def test_it_refuses_a_name_that_is_not_a_time_zone(self, organisation):
        organisation.time_zone = "Europe/Atlantis"
        with pytest.raises(ValidationError) as error:
            organisation.full_clean()
        assert "time_zone" in error.value.message_dict

    def test_it_starts_from_the_servers_time_zone(self, settings):
        settings.TIME_ZONE = "Europe/Rome"
        organisation = services.create_organisation(code="IT-ROM", name="Roma", country="IT")
        assert organisation.time_zone == "Europe/Rome"

    def test_its_admin_sets_it_on_the_organisation_page(self, as_user, ada, organisation):
        form = {
            "name": organisation.name,
            "cities": "Sofia",
            "version": organisation.version,
            "contact_interval_days": 14,
            "reassessment_interval_days": 90,
            "plan_review_interval_days": 90,
            "retention_months": 24,
            "caseload_target_min": 20,
            "caseload_target_max": 25,
            "offline_hours": 72,
            "time_zone": "Europe/Sofia",
        }
        client = as_user(ada)
        assert "Europe/Sofia" in client.get("/accounts/organisation/").content.decode()
        assert client.post("/accounts/organisation/", form).status_code == 302
        organisation.refresh_from_db()
        assert organisation.time_zone == "Europe/Sofia"
        refused = client.post(
            "/accounts/organisation/", form | {"time_zone": "Mars/Olympus", "version": 2}
        )
        assert refused.status_code == 200
        organisation.refresh_from_db()
        assert organisation.time_zone == "Europe/Sofia"

    def test_it_shows_the_audit_log_in_the_organisations_time_zone(
        self, as_user, ada, organisation
    ):
        organisation.time_zone = "Europe/Sofia"
        organisation.save(update_fields=["time_zone"])
        with time_machine.travel(NOON_UTC, tick=False):
            record(ada, AuditEvent.Action.UPDATE, organisation)
        body = as_user(ada).get("/audit/").content.decode()
        # Sofia is two hours ahead of UTC in November; the machine-readable time stays ISO.
        assert "29/11/2026 14:00:00" in body
        assert 'datetime="2026-11-29T14:00:00+02:00"' in body
        assert "29/11/2026 12:00:00" not in body

    def test_it_shows_the_network_coordinator_the_servers_time_zone(
        self, nadia, ada, organisation, settings
    ):
        settings.TIME_ZONE = "America/Montevideo"
        organisation.time_zone = "Europe/Sofia"
        organisation.save(update_fields=["time_zone"])
        seen = []

        def view(request):
            seen.append(timezone.get_current_timezone_name())
            return HttpResponse()

        for user in (ada, nadia):
            request = RequestFactory().get("/")
            request.user = user
            UserLocaleMiddleware(view)(request)
        assert seen == ["Europe/Sofia", "America/Montevideo"]
        assert timezone.get_current_timezone_name() == "America/Montevideo"  # none left over


class TestDocuments:
    @pytest.mark.parametrize("language", ["fr", "nl", "bg", "el", "it", "pl"])
    def test_the_coordinators_report_pdf_is_in_their_language_and_states_its_time_zone(
        self, as_user, nadia, settings, language
    ):
        settings.TIME_ZONE = "Europe/Brussels"
        services.set_language(nadia, language)
        options = {"start": "2024-01", "end": "2024-06", "source": "imported"}
        pdf = reports.downloaded(as_user(nadia), {**options, "disclosure": "public"}, "pdf")
        assert pdf["Content-Type"] == "application/pdf"
        text = pdf_text(pdf.content)
        with translation.override(language):
            title = translation.gettext("Network indicators")
            zone = translation.gettext("Dates and times are in the %(zone)s time zone.") % {
                "zone": "Europe/Brussels"
            }
        assert title != "Network indicators" and title in text
        assert zone in text
