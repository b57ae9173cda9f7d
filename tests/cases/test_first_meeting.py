"""The first meeting is one record per case, changed only from the version shown and audited:
a later record (consent given at last, say) changes it instead of silently replacing it."""

import re

import pytest
from django.db.models import F

from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.factories import MEETING, days_ago
from engage.cases.models import Case, FirstMeeting, Stage
from engage.lib.concurrency import ConcurrentEditError

pytestmark = pytest.mark.django_db

WITHOUT_CONSENT = {**MEETING, "consent_given": False, "consent_method": ""}
STALE = "Someone else changed this record"


def _without_consent(case, by, days=190):
    data = {"date": days_ago(days), **WITHOUT_CONSENT}
    return services.record_first_meeting(case, by=by, data=data)


def _audits(meeting, action):
    return AuditEvent.objects.filter(
        object_type="cases.firstmeeting", object_id=meeting.pk, action=action
    ).count()


def _posted(date, *, consent=True, **more):
    ticked = {name: "on" for name, value in MEETING.items() if value is True}
    if not consent:
        ticked.pop("consent_given")
    return {
        "date": date.isoformat(),
        **ticked,
        "consent_method": "oral" if consent else "",
        **more,
    }


class TestTheService:
    def test_it_audits_the_first_record_as_a_creation(self, case, alice):
        meeting = _without_consent(case, alice)
        assert meeting.version == 1
        assert _audits(meeting, AuditEvent.Action.CREATE) == 1
        assert _audits(meeting, AuditEvent.Action.UPDATE) == 0

    def test_a_later_record_changes_the_first_from_its_version_and_is_audited(
        self, case, alice, bob
    ):
        first = _without_consent(case, alice)
        later = services.record_first_meeting(
            case, by=bob, data={"date": days_ago(150), **MEETING}, expected_version=1
        )
        stored = FirstMeeting.objects.get(case=case)
        assert later.pk == first.pk == stored.pk
        assert (stored.date, stored.consent_given, stored.version) == (days_ago(150), True, 2)
        assert stored.recorded_by == alice  # who changed it is in the audit log
        assert _audits(first, AuditEvent.Action.UPDATE) == 1
        update = AuditEvent.objects.get(object_id=first.pk, action=AuditEvent.Action.UPDATE)
        assert update.actor_id == bob.pk
        case.refresh_from_db()
        assert case.stage == Stage.SCREENING

    def test_a_second_record_without_a_version_does_not_replace_the_first(self, case, alice):
        _without_consent(case, alice, days=190)
        with pytest.raises(ConcurrentEditError):
            services.record_first_meeting(case, by=alice, data={"date": days_ago(1), **MEETING})
        stored = FirstMeeting.objects.get(case=case)
        assert (stored.date, stored.consent_given, stored.version) == (days_ago(190), False, 1)
        assert _audits(stored, AuditEvent.Action.UPDATE) == 0
        case.refresh_from_db()
        assert case.stage == Stage.REFERRED

    def test_it_refuses_a_change_made_on_an_old_version(self, case, alice, bob):
        meeting = _without_consent(case, alice)
        services.record_first_meeting(
            case, by=bob, data={"date": days_ago(180), **WITHOUT_CONSENT}, expected_version=1
        )
        with pytest.raises(ConcurrentEditError):
            services.record_first_meeting(
                case, by=alice, data={"date": days_ago(170), **MEETING}, expected_version=1
            )
        stored = FirstMeeting.objects.get(pk=meeting.pk)
        assert (stored.date, stored.consent_given, stored.version) == (days_ago(180), False, 2)
        assert _audits(meeting, AuditEvent.Action.UPDATE) == 1
        case.refresh_from_db()
        assert case.stage == Stage.REFERRED


class TestThePage:
    def test_it_shows_the_meeting_recorded_with_its_version(self, as_user, case, alice):
        _without_consent(case, alice, days=190)
        page = as_user(alice).get(f"/cases/{case.pk}/first-meeting/").content.decode()
        assert re.search(r'<input type="hidden" name="version" value="1"[^>]*>', page)
        assert f'value="{days_ago(190).isoformat()}"' in page

    def test_it_records_consent_given_at_a_later_meeting_over_the_first(self, as_user, case, alice):
        meeting = _without_consent(case, alice)
        response = as_user(alice).post(
            f"/cases/{case.pk}/first-meeting/", _posted(days_ago(100), version=1)
        )
        assert response.status_code == 302
        stored = FirstMeeting.objects.get(case=case)
        assert stored.pk == meeting.pk
        assert (stored.date, stored.consent_given, stored.version) == (days_ago(100), True, 2)
        case.refresh_from_db()
        assert case.stage == Stage.SCREENING

    def test_a_change_from_an_old_page_is_refused_and_keeps_what_was_typed(
        self, as_user, case, alice, bob
    ):
        meeting = _without_consent(case, alice)
        services.record_first_meeting(
            case, by=bob, data={"date": days_ago(180), **WITHOUT_CONSENT}, expected_version=1
        )
        response = as_user(alice).post(
            f"/cases/{case.pk}/first-meeting/", _posted(days_ago(100), version=1)
        )
        page = response.content.decode()
        assert response.status_code == 200 and STALE in page
        assert f'value="{days_ago(100).isoformat()}"' in page
        assert re.search(r'name="consent_given"[^>]*checked', page)
        stored = FirstMeeting.objects.get(pk=meeting.pk)
        assert (stored.date, stored.consent_given, stored.version) == (days_ago(180), False, 2)

    def test_a_page_opened_before_the_meeting_was_recorded_does_not_replace_it(
        self, as_user, case, alice, bob
    ):
        client = as_user(alice)
        blank = client.get(f"/cases/{case.pk}/first-meeting/").content.decode()
        assert 'name="version"' not in blank
        _without_consent(case, bob, days=180)  # meanwhile
        response = client.post(f"/cases/{case.pk}/first-meeting/", _posted(days_ago(100)))
        page = response.content.decode()
        assert response.status_code == 200 and STALE in page
        assert "This field is required." not in page
        stored = FirstMeeting.objects.get(case=case)
        assert (stored.date, stored.consent_given, stored.recorded_by) == (
            days_ago(180),
            False,
            bob,
        )
        case.refresh_from_db()
        assert case.stage == Stage.REFERRED


def test_a_colleague_who_sees_the_case_through_a_household_does_not_record_the_consent(
    as_user, alice, partner
):
    """The consent to the programme is the case's own people's to record, as every consent is:
    Alice sees Dan's case of her client's partner only through the household (review probe)."""
    client = as_user(alice)
    assert client.get(f"/cases/{partner.pk}/first-meeting/").status_code == 302
    response = client.post(f"/cases/{partner.pk}/first-meeting/", _posted(days_ago(3)))
    assert response.status_code == 302
    assert not FirstMeeting.objects.filter(case=partner).exists()
    assert "through a client" in client.get(response["Location"]).content.decode()
    partner.refresh_from_db()
    assert partner.stage == Stage.REFERRED
    dan = as_user(partner.case_manager)
    assert dan.post(f"/cases/{partner.pk}/first-meeting/", _posted(days_ago(3))).status_code == 302
    partner.refresh_from_db()
    assert partner.stage == Stage.SCREENING


def test_the_stage_moves_from_the_case_as_stored_not_as_the_page_read_it(case, alice):
    """A change committed between the page's read and the meeting (another tab, the API) counts:
    the case's version did not go back to a value a page opened before the stage had."""
    as_read = Case.objects.get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    meanwhile = Case.objects.get(pk=case.pk).version
    services.record_first_meeting(as_read, by=alice, data={"date": days_ago(3), **MEETING})
    stored = Case.objects.get(pk=case.pk)
    assert stored.stage == Stage.SCREENING and stored.version == meanwhile + 1
    assert as_read.stage == Stage.SCREENING and as_read.version == stored.version
