"""My week: what is coming up in the next 14 days, for a case manager and for their supervisor."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engage.agenda.week import Kind, upcoming
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.cases.models import Case
from tests.agenda.conftest import NAME, PLACE, appointment, busy_case, day

pytestmark = pytest.mark.django_db


def _kinds_by_day(week) -> dict[int, list[str]]:
    today = timezone.localdate()
    return {(d.day - today).days: [item.kind for item in d.items] for d in week.days}


class TestWhatIsComingUp:
    def test_it_gathers_every_kind_by_day_today_first(self, organisation, alice, bob):
        case = busy_case(organisation, alice, bob)
        week = upcoming(Case.objects.filter(pk=case.pk), timezone.localdate())
        assert week.days[0].day == timezone.localdate()
        assert _kinds_by_day(week) == {
            0: [],
            2: [Kind.CONTACT, Kind.REFERRAL],
            3: [Kind.APPOINTMENT],
            4: [Kind.ASSESSMENT],
            5: [Kind.ACTION],
            6: [Kind.REPORTING],
            7: [Kind.PLAN_REVIEW],
            9: [Kind.LIAISON],
            13: [Kind.REPORTING],
        }
        (visit,) = [i for d in week.days for i in d.items if i.kind == Kind.APPOINTMENT]
        assert (visit.time, visit.detail, str(visit.label)) == (
            datetime.time(10, 0),
            PLACE,
            "Home visit",
        )

    def test_it_orders_a_days_appointments_by_time_after_those_without_one(
        self, organisation, case, alice
    ):
        appointment(case, alice, 1, time=datetime.time(15, 0), kind="call")
        appointment(case, alice, 1, time=datetime.time(9, 30), kind="meeting")
        appointment(case, alice, 1, kind="accompaniment")
        week = upcoming(Case.objects.filter(pk=case.pk), timezone.localdate())
        tomorrow = next(d for d in week.days if d.day == day(1))
        assert [i.time for i in tomorrow.items] == [
            None,
            datetime.time(9, 30),
            datetime.time(15, 0),
        ]

    def test_it_leaves_out_what_is_past_beyond_the_two_weeks_or_cancelled(self, case, alice):
        from engage.cases import services

        appointment(case, alice, 14)
        cancelled = appointment(case, alice, 2)
        services.cancel_appointment(cancelled, by=alice, expected_version=1)
        kept = appointment(case, alice, 13)
        week = upcoming(Case.objects.filter(pk=case.pk), timezone.localdate())
        items = [i for d in week.days for i in d.items if i.kind == Kind.APPOINTMENT]
        assert [i.day for i in items] == [kept.date]

    def test_it_counts_the_cases_with_something_late(self, organisation, alice):
        CaseFactory(organisation=organisation, case_manager=alice)  # contact long overdue
        week = upcoming(Case.objects.all(), timezone.localdate())
        assert week.late == 1


class TestThePage:
    def test_a_case_manager_sees_their_own_week(self, as_user, organisation, alice, bob, carol):
        busy_case(organisation, alice, bob)
        other = CaseFactory(
            organisation=organisation, case_manager=carol, person__given_name="Zzcarolclient"
        )
        appointment(other, carol, 1)
        body = as_user(alice).get("/agenda/").content.decode()
        assert NAME in body and PLACE in body and "Zzsentinelaction" in body
        assert "Zzcarolclient" not in body
        for label in (
            "Home visit",
            "Contact due",
            "Reassessment due",
            "Plan action due",
            "Reporting day",
            "Plan review due",
            "Referral follow-up",
            "Answer from an authority to chase",
        ):
            assert label in body, label
        assert "Today" in body

    def test_a_supervisor_sees_the_team_and_can_choose_one_case_manager(
        self, as_user, organisation, alice, bob, carol
    ):
        busy_case(organisation, alice, bob)
        other = CaseFactory(
            organisation=organisation, case_manager=carol, person__given_name="Zzcarolclient"
        )
        appointment(other, carol, 1)
        client = as_user(bob)
        body = client.get("/agenda/").content.decode()
        assert NAME in body and "Zzcarolclient" in body
        assert "My team&#x27;s week" in body or "My team's week" in body
        body = client.get("/agenda/", {"case_manager": carol.pk}).content.decode()
        assert "Zzcarolclient" in body and NAME not in body

    def test_a_supervisor_cannot_choose_someone_outside_their_teams(
        self, as_user, organisation, alice, bob, ada
    ):
        busy_case(organisation, alice, bob)
        response = as_user(bob).get("/agenda/", {"case_manager": ada.pk})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()

    def test_another_organisations_appointments_never_appear(
        self, as_user, organisation, alice, bob, charlie
    ):
        from engage.cases.factories import CaseFactory as Factory

        foreign = Factory(
            organisation=charlie.organisation,
            case_manager=charlie,
            person__given_name="Zzforeignclient",
        )
        appointment(foreign, charlie, 1, place="Zzforeignplace")
        busy_case(organisation, alice, bob)
        for user in (alice, bob):
            body = as_user(user).get("/agenda/").content.decode()
            assert "Zzforeign" not in body and foreign.reference not in body
        body = as_user(bob).get("/agenda/", {"case_manager": charlie.pk}).content.decode()
        assert "Zzforeign" not in body

    def test_only_case_managers_and_supervisors_have_a_week(self, as_user, ada, nadia):
        for user in (ada, nadia):
            assert as_user(user).get("/agenda/").status_code == 404

    def test_it_audits_a_read_of_each_case_shown(self, as_user, organisation, alice, bob):
        case = busy_case(organisation, alice, bob)
        quiet = CaseFactory(organisation=organisation, case_manager=alice)
        as_user(alice).get("/agenda/")
        reads = AuditEvent.objects.filter(action="view", actor_id=alice.pk)
        assert set(reads.values_list("object_id", flat=True)) == {case.pk}
        assert quiet.pk not in set(reads.values_list("object_id", flat=True))

    def test_it_is_in_the_main_navigation(self, as_user, alice):
        body = as_user(alice).get("/").content.decode()
        assert 'href="/agenda/"' in body and "My week" in body

    def test_it_keeps_its_query_count_as_the_caseload_grows(
        self, as_user, organisation, alice, bob, carol
    ):
        busy_case(organisation, alice, bob)
        for user in (alice, bob):
            client = as_user(user)
            with CaptureQueriesContext(connection) as small:
                assert client.get("/agenda/").status_code == 200
            for n in range(3):
                busy_case(organisation, alice, bob, name=f"Zzmore{user.username}{n}")
                busy_case(organisation, carol, bob, name=f"Zzcarol{user.username}{n}")
            with CaptureQueriesContext(connection) as big:
                body = client.get("/agenda/").content.decode()
            assert f"Zzmore{user.username}2" in body
            assert len(big) == len(small), (user, [q["sql"] for q in big.captured_queries])
