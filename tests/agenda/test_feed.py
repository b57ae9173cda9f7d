"""The personal calendar feed: one secret address per person, revocable, audited, no names."""

import datetime
import time
import zoneinfo

import pytest
from django.contrib.auth.hashers import make_password
from icalendar import Calendar

from engage.accounts import mfa
from engage.accounts import services as accounts
from engage.accounts.models import Role
from engage.accounts.permissions import AUTHENTICATED_AT
from engage.agenda import services
from engage.agenda.models import CalendarFeed
from engage.audit.models import AuditEvent
from engage.cases import services as cases
from engage.cases.factories import CaseFactory
from tests.agenda.conftest import NAME, PLACE, appointment, busy_case, day
from tests.security.conftest import stepped_up

pytestmark = pytest.mark.django_db


def _make(client) -> str:
    """Make a feed on the page and return its address, as shown once."""
    body = client.post("/agenda/calendar/new/").content.decode()
    start = body.index("http://testserver/agenda/feed.ics?key=")
    return body[start : body.index("<", start)]


def _read(client, url):
    return client.get(url.removeprefix("http://testserver"))


def _events(response) -> list:
    assert response["Content-Type"].startswith("text/calendar")
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


class TestTheFeed:
    def test_it_carries_kind_reference_and_time_and_nothing_personal(
        self, client, organisation, alice, bob
    ):
        organisation.time_zone = "Europe/Sofia"
        organisation.save()
        case = busy_case(organisation, alice, bob)  # a home visit in 3 days at 10:00
        appointment(case, alice, 1, kind="accompaniment")
        url = _make(stepped_up(alice))
        response = _read(client, url)
        assert response.status_code == 200
        events = {str(e["summary"]): e for e in _events(response)}
        assert set(events) == {
            f"Home visit · {case.reference}",
            f"Accompaniment to an authority or court · {case.reference}",
        }
        visit = events[f"Home visit · {case.reference}"].decoded("dtstart")
        sofia = datetime.datetime.combine(
            day(3), datetime.time(10), zoneinfo.ZoneInfo("Europe/Sofia")
        )
        assert visit == sofia and visit.utcoffset() == datetime.timedelta(0)  # written in UTC
        whole_day = events[f"Accompaniment to an authority or court · {case.reference}"]
        assert whole_day.decoded("dtstart") == day(1)
        assert str(whole_day["url"]) == f"http://testserver{case.get_absolute_url()}"
        # The sentinels: the client's names, the places, the notes and actions of the case.
        text = response.content.decode()
        assert "X-PUBLISHED-TTL:PT1H" in text and "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text
        for sentinel in (NAME, "Family", PLACE, "Zzsentinelaction", "Shelter", "Sofia pilot"):
            assert sentinel not in text, sentinel

    def test_it_speaks_the_owners_language_without_a_session(
        self, client, organisation, case, alice
    ):
        alice.language = "fr"
        alice.save()
        appointment(case, alice, 2, kind="call")
        url = _make(stepped_up(alice))
        (event,) = _events(_read(client, url))
        assert str(event["summary"]) == f"Appel · {case.reference}"

    def test_it_holds_the_owners_appointments_only(
        self, client, organisation, case, alice, bob, carol, charlie
    ):
        own = appointment(case, alice, 2)
        carols = CaseFactory(organisation=organisation, case_manager=carol)
        appointment(carols, carol, 2)
        accompanied = appointment(carols, bob, 4, kind="accompaniment")  # Bob goes with them
        foreign = CaseFactory(organisation=charlie.organisation, case_manager=charlie)
        appointment(foreign, charlie, 2)
        cancelled = appointment(case, alice, 5, kind="call")
        cases.cancel_appointment(cancelled, by=alice, expected_version=1)
        alices = _read(client, _make(stepped_up(alice)))
        assert [str(e["uid"]) for e in _events(alices)] == [f"{own.pk}@engage"]
        bobs = _events(_read(client, _make(stepped_up(bob))))
        assert [str(e["uid"]) for e in bobs] == [f"{accompanied.pk}@engage"]
        assert foreign.reference not in alices.content.decode()

    def test_it_drops_the_appointments_of_a_declined_case_as_of_a_closed_one(
        self, client, organisation, case, alice, bob
    ):
        """A closure cancels what was planned; declining the referral left its home visit planned
        (and, the case no longer open, impossible to cancel), so the phone's calendar, outside
        the firewall, kept it for a year: the reference of a case that had ended."""
        appointment(case, alice, 3)
        url = _make(stepped_up(alice))
        decision = cases.propose_inclusion(
            case, by=alice, include=False, date=day(0), criteria_met=[], reason="Moved away"
        )
        cases.review_inclusion(decision, by=bob, approve=True)
        case.refresh_from_db()
        assert case.stage == "declined"
        assert not case.appointments.filter(status="planned").exists()
        assert _events(_read(client, url)) == []
        # One declined before this was so kept it planned: the feed leaves it out too.
        case.appointments.update(status="planned")
        assert _events(_read(client, url)) == []

    def test_it_audits_every_read_and_the_cases_it_shows(self, client, case, alice):
        appointment(case, alice, 2)
        url = _make(stepped_up(alice))
        feed = CalendarFeed.objects.get()
        _read(client, url)
        assert AuditEvent.objects.filter(
            object_id=feed.pk, detail=services.READ, actor_id=alice.pk
        ).exists()
        assert AuditEvent.objects.filter(object_id=case.pk, action="view", actor_id=alice.pk)
        feed.refresh_from_db()
        assert feed.last_used_at is not None


class TestTheAddress:
    def test_it_is_shown_once_and_kept_as_a_digest(self, organisation, alice):
        client = stepped_up(alice)
        url = _make(client)
        key = url.split("key=")[1]
        feed = CalendarFeed.objects.get()
        assert feed.digest == services.digest(key) and key not in feed.digest
        page = client.get("/agenda/calendar/").content.decode()
        assert key not in page and "a phone's calendar is outside the firewall" in page.lower()
        created = AuditEvent.objects.get(object_id=feed.pk, detail=services.CREATED)
        assert created.actor_id == alice.pk

    def test_it_needs_the_password_again_to_make_one(self, alice):
        client = stepped_up(alice)
        session = client.session
        session[AUTHENTICATED_AT] = time.time() - 3600  # the password was typed an hour ago
        session.save()
        body = client.post("/agenda/calendar/new/").content.decode()
        assert "feed.ics?key=" not in body and 'name="step_up-password"' in body
        assert not CalendarFeed.objects.exists()

    def test_a_revoked_or_replaced_address_gives_404(self, client, case, alice):
        appointment(case, alice, 2)
        owner = stepped_up(alice)
        first = _make(owner)
        second = _make(owner)  # a new address replaces the first
        assert _read(client, first).status_code == 404
        assert _read(client, second).status_code == 200
        owner.post("/agenda/calendar/revoke/")
        assert _read(client, second).status_code == 404
        third = _make(owner)  # and another can be made again
        assert _read(client, third).status_code == 200
        revoked = AuditEvent.objects.filter(detail=services.REVOKED, actor_id=alice.pk)
        assert revoked.count() == 2
        refused = AuditEvent.objects.filter(detail="calendar_feed_revoked_key")
        assert refused.count() == 0  # refusals are recorded with their own reason, below
        assert (
            AuditEvent.objects.filter(
                action="login_failed", detail=f"{services.REFUSED}revoked"
            ).count()
            == 2
        )

    def test_an_unknown_key_gives_404(self, client, alice):
        assert client.get("/agenda/feed.ics", {"key": "nothing"}).status_code == 404
        assert client.get("/agenda/feed.ics").status_code == 404
        assert AuditEvent.objects.filter(detail=f"{services.REFUSED}unknown").count() == 1

    def test_it_ends_with_a_password_change_or_a_deactivation(self, client, case, alice):
        appointment(case, alice, 2)
        url = _make(stepped_up(alice))
        alice.password = make_password("a completely new password")
        alice.save()
        assert _read(client, url).status_code == 404
        url = _make(stepped_up(alice))
        alice.is_active = False
        alice.save()
        assert _read(client, url).status_code == 404

    def test_it_stays_ended_when_its_owner_is_reactivated_or_their_second_step_reset(
        self, client, case, alice, ada
    ):
        """A deactivation (a stolen phone) only refused the feed while the account was
        inactive: reactivated, the thief's calendar read the appointments again, as it did
        after an admin reset the second step of the lost phone. Both end it for good, as they
        end API tokens and offline devices."""
        appointment(case, alice, 2)
        url = _make(stepped_up(alice))
        accounts.deactivate_user(alice, by=ada)
        accounts.reactivate_user(alice, by=ada)
        assert _read(client, url).status_code == 404
        url = _make(stepped_up(alice))
        mfa.reset(alice, by=ada)
        assert _read(client, url).status_code == 404
        assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
        revoked = AuditEvent.objects.filter(detail=services.REVOKED, actor_id=ada.pk)
        assert revoked.count() == 2

    def test_it_stays_ended_when_its_owner_leaves_case_work_and_comes_back(
        self, client, case, alice, ada
    ):
        """A case manager made an organisation admin had their feed refused only while the
        role lasted: moved back, the phone read the appointments again. Leaving the roles that
        work on cases now ends it for good, as a deactivation does."""
        appointment(case, alice, 2)
        url = _make(stepped_up(alice))

        def move(role: str) -> None:
            alice.refresh_from_db()
            accounts.update_user(
                alice, by=ada, expected_version=alice.version, role=role, team=alice.team,
                first_name=alice.first_name, last_name=alice.last_name, email=alice.email,
            )  # fmt: skip

        move(Role.SUPERVISOR)  # still works on cases: the feed stays
        assert _read(client, url).status_code == 200
        move(Role.ORG_ADMIN)
        move(Role.CASE_MANAGER)
        assert _read(client, url).status_code == 404
        assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
        assert AuditEvent.objects.filter(detail=services.REVOKED, actor_id=ada.pk).count() == 1

    def test_it_limits_reads_per_hour_and_refused_reads_per_address(self, client, case, alice):
        url = _make(stepped_up(alice))
        for _n in range(services.READS_PER_HOUR):
            assert _read(client, url).status_code == 200
        too_many = _read(client, url)
        assert too_many.status_code == 429 and too_many["Retry-After"] == "3600"
        for n in range(5):
            assert client.get("/agenda/feed.ics", {"key": f"guess{n}"}).status_code == 404
        assert client.get("/agenda/feed.ics", {"key": "guess5"}).status_code == 429
        # Refused reads past the limit are not written to the audit log.
        assert AuditEvent.objects.filter(detail=f"{services.REFUSED}unknown").count() == 5

    def test_only_case_workers_have_the_page(self, as_user, ada, nadia):
        for user in (ada, nadia):
            assert as_user(user).get("/agenda/calendar/").status_code == 404
