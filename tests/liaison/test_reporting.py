"""Reporting obligations: the expected days, the missed reporting flag, the pages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from engage.cases.due import caseload, due_items, with_due_facts
from engage.cases.factories import CaseFactory
from engage.cases.models import Case
from engage.liaison import schedule, services
from engage.liaison.due import LIAISON, REPORTING
from engage.liaison.models import ReportingEvent
from tests.liaison.conftest import days_ago, liaise, weekly

pytestmark = pytest.mark.django_db

D = datetime.date


class TestSchedule:
    def test_it_counts_weekly_and_fortnightly_days(self):
        start = D(2025, 1, 6)
        assert schedule.first_expected_after(start, "weekly", None, None, None) == start
        assert schedule.first_expected_after(start, "weekly", None, None, D(2025, 1, 6)) == D(
            2025, 1, 13
        )
        assert schedule.first_expected_after(start, "weekly", None, None, D(2025, 1, 12)) == D(
            2025, 1, 13
        )
        assert schedule.first_expected_after(start, "fortnightly", None, None, D(2025, 1, 7)) == D(
            2025, 1, 20
        )

    def test_it_keeps_the_day_of_the_month_or_the_months_last_day(self):
        start = D(2024, 1, 31)
        days = schedule.expected_days(start, "monthly", None, None, D(2024, 5, 1))
        assert days == [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30)]
        assert schedule.first_expected_after(start, "monthly", None, None, D(2024, 3, 1)) == D(
            2024, 3, 31
        )
        assert schedule.first_expected_after(start, "monthly", None, None, D(2024, 2, 29)) == D(
            2024, 3, 31
        )

    def test_it_uses_the_interval_of_other_frequencies_and_stops_at_the_end(self):
        start = D(2025, 3, 1)
        assert schedule.first_expected_after(start, "other", 3, None, D(2025, 3, 2)) == D(
            2025, 3, 4
        )
        assert (
            schedule.first_expected_after(start, "other", 3, D(2025, 3, 5), D(2025, 3, 4)) is None
        )
        assert schedule.first_expected_after(start, "weekly", None, D(2025, 3, 1), None) == start


def _due(case, kind=REPORTING):
    today = timezone.localdate()
    annotated = with_due_facts(Case.objects.filter(pk=case.pk), today).get()
    return [item for item in due_items(annotated, today) if item.kind == kind]


class TestMissedReporting:
    def test_it_flags_a_reporting_day_that_passed_with_no_record(self, active_case, alice):
        # Weekly from ten days ago: expected ten and three days ago.
        obligation = weekly(active_case, alice, days_ago(10))
        assert obligation.next_due_on == days_ago(10)
        assert [item.days_overdue for item in _due(active_case)] == [10]
        services.record_reporting(obligation, by=alice, date=days_ago(10), status="reported")
        obligation.refresh_from_db()
        assert obligation.next_due_on == days_ago(3)
        assert [item.days_overdue for item in _due(active_case)] == [3]
        services.record_reporting(obligation, by=alice, date=days_ago(3), status="excused")
        assert _due(active_case) == []

    def test_it_does_not_flag_today_nor_an_obligation_yet_to_start(self, active_case, alice):
        weekly(active_case, alice, days_ago(0))
        weekly(active_case, alice, days_ago(-5), place="Migration office")
        assert _due(active_case) == []

    def test_it_flags_a_missed_day_until_it_is_followed_up(self, active_case, alice):
        obligation = weekly(active_case, alice, days_ago(4))
        event = services.record_reporting(obligation, by=alice, date=days_ago(4), status="missed")
        items = _due(active_case)
        assert [(str(item.label), item.days_overdue) for item in items] == [
            ("Missed reporting to follow up", 4)
        ]
        with pytest.raises(ValidationError):
            services.follow_up_missed(event, by=alice, on=days_ago(5))
        services.follow_up_missed(event, by=alice, on=days_ago(3), note="The station was closed")
        assert _due(active_case) == []
        with pytest.raises(ValidationError):
            services.follow_up_missed(event, by=alice, on=days_ago(0))

    def test_it_stops_expecting_days_after_the_end(self, active_case, alice):
        obligation = weekly(active_case, alice, days_ago(20), end_date=days_ago(14))
        services.record_reporting(obligation, by=alice, date=days_ago(20), status="reported")
        obligation.refresh_from_db()
        assert obligation.next_due_on is None and _due(active_case) == []

    def test_it_takes_the_earliest_day_among_several_obligations(self, active_case, alice):
        weekly(active_case, alice, days_ago(2))
        weekly(active_case, alice, days_ago(9), place="Migration office", frequency="monthly")
        assert [item.days_overdue for item in _due(active_case)] == [9]

    def test_it_reschedules_when_the_obligation_changes(self, active_case, alice):
        obligation = weekly(active_case, alice, days_ago(10))
        services.save_obligation(
            active_case,
            by=alice,
            obligation=obligation,
            expected_version=obligation.version,
            data={
                "place": "Rue Royale police station",
                "frequency": "other",
                "interval_days": 30,
                "start_date": days_ago(1),
            },
        )
        obligation.refresh_from_db()
        assert obligation.next_due_on == days_ago(1) and obligation.interval_days == 30

    def test_it_refuses_bad_reporting_days(self, active_case, alice):
        obligation = weekly(active_case, alice, days_ago(10), end_date=days_ago(2))
        for day in (days_ago(-1), days_ago(11), days_ago(1)):
            with pytest.raises(ValidationError) as error:
                services.record_reporting(obligation, by=alice, date=day, status="reported")
            assert "date" in error.value.error_dict
        services.record_reporting(obligation, by=alice, date=days_ago(3), status="reported")
        with pytest.raises(ValidationError):
            services.record_reporting(obligation, by=alice, date=days_ago(3), status="missed")
        assert ReportingEvent.objects.count() == 1

    def test_it_refuses_an_other_frequency_without_its_interval(self, active_case, alice):
        with pytest.raises(ValidationError) as error:
            weekly(active_case, alice, days_ago(1), frequency="other")
        assert "interval_days" in error.value.error_dict
        with pytest.raises(ValidationError) as error:
            weekly(active_case, alice, days_ago(1), end_date=days_ago(2))
        assert "end_date" in error.value.error_dict

    def test_it_flags_an_answer_awaited_past_its_follow_up(self, active_case, alice, office):
        liaise(active_case, alice, office, categories=[], follow_up_on=days_ago(1))
        assert [item.days_overdue for item in _due(active_case, LIAISON)] == [1]


class TestPages:
    def test_it_shows_the_flag_on_the_caseload_the_case_list_and_the_case_page(
        self, as_user, active_case, alice
    ):
        obligation = weekly(active_case, alice, days_ago(8))
        client = as_user(alice)
        body = client.get("/").content.decode()
        assert "Missed reporting" in body and "?due=reporting" in body
        assert active_case.reference in client.get("/cases/", {"due": "reporting"}).content.decode()
        body = client.get(active_case.get_absolute_url()).content.decode()
        assert "Reporting day with no record" in body and "Rue Royale police station" in body
        body = client.get(obligation.get_absolute_url()).content.decode()
        assert "No reporting day recorded yet." in body

    @pytest.mark.parametrize(
        "language, noun", [("fr", "Élément"), ("it", "Elemento"), ("pl", "Rekord")]
    )
    def test_it_names_the_reporting_days_button_as_a_verb_in_each_language(
        self, as_user, active_case, alice, language, noun
    ):
        """The button read "Record", whose catalogue entry is the audit log's column (a record,
        the noun): a French case manager was asked to press "Élément" to save a reporting day."""
        obligation = weekly(active_case, alice, days_ago(8))
        type(alice).objects.filter(pk=alice.pk).update(language=language)
        body = as_user(alice).get(obligation.get_absolute_url()).content.decode()
        button = body.split('<div class="form-actions"><button type="submit" class="primary">')[1]
        label = button.split("</button>")[0]
        with translation.override(language):
            assert label == translation.gettext("Save")
        assert noun not in label

    def test_the_org_admin_sees_that_there_is_an_obligation_but_not_where(
        self, as_user, active_case, alice, ada
    ):
        weekly(active_case, alice, days_ago(8))
        body = as_user(ada).get(active_case.get_absolute_url()).content.decode()
        assert 'id="liaison"' in body and "Reporting obligation" in body
        assert "Rue Royale" not in body

    def test_it_records_reporting_days_and_follow_ups_from_the_pages(
        self, as_user, active_case, alice
    ):
        client = as_user(alice)
        response = client.post(
            f"/liaison/cases/{active_case.pk}/reporting/new/",
            {
                "place": "Rue Royale police station",
                "frequency": "weekly",
                "start_date": days_ago(7).isoformat(),
            },
        )
        obligation = active_case.reporting_obligations.get()
        assert response.status_code == 302 and response.url == obligation.get_absolute_url()
        response = client.post(
            obligation.get_absolute_url(),
            {"date": days_ago(7).isoformat(), "status": "missed", "note": "Station closed"},
        )
        assert response.status_code == 302
        event = obligation.events.get()
        body = client.get(obligation.get_absolute_url()).content.decode()
        assert "Station closed" in body and "Record the follow-up" in body
        response = client.post(
            f"/liaison/reporting-days/{event.pk}/follow-up/",
            {"on": days_ago(6).isoformat(), "note": "Called the police"},
        )
        assert response.status_code == 302
        event.refresh_from_db()
        assert event.followed_up_on == days_ago(6)
        response = client.post(
            obligation.get_absolute_url(), {"date": days_ago(-2).isoformat(), "status": "reported"}
        )
        assert "id_date_error" in response.content.decode()

    def test_it_gives_404_to_another_organisation(self, as_user, active_case, alice, charlie):
        obligation = weekly(active_case, alice, days_ago(7))
        event = services.record_reporting(obligation, by=alice, date=days_ago(7), status="missed")
        client = as_user(charlie)
        for url in (
            obligation.get_absolute_url(),
            f"/liaison/reporting/{obligation.pk}/edit/",
            f"/liaison/reporting-days/{event.pk}/follow-up/",
            f"/liaison/cases/{active_case.pk}/reporting/new/",
        ):
            assert client.get(url).status_code == 404, url

    def test_the_caseload_keeps_its_query_count_as_obligations_grow(
        self, as_user, organisation, active_case, alice, bob, office
    ):
        weekly(active_case, alice, days_ago(8))
        for user in (alice, bob):
            client = as_user(user)
            with CaptureQueriesContext(connection) as small:
                client.get("/")
            for n in range(4):
                case = CaseFactory(organisation=organisation, case_manager=alice)
                obligation = weekly(case, alice, days_ago(10 + n))
                services.record_reporting(
                    obligation, by=alice, date=days_ago(10 + n), status="missed"
                )
                liaise(
                    case, alice, office, categories=[], date=days_ago(5), follow_up_on=days_ago(n)
                )
            with CaptureQueriesContext(connection) as big:
                client.get("/")
            assert len(big) == len(small), user
        assert len(caseload(Case.objects.filter(case_manager=alice), days_ago(0))) == 9

    def test_the_case_page_keeps_its_query_count_as_liaison_grows(
        self, as_user, active_case, alice, office
    ):
        weekly(active_case, alice, days_ago(8))
        liaise(active_case, alice, office, categories=[], date=days_ago(9))
        client = as_user(alice)
        with CaptureQueriesContext(connection) as small:
            client.get(active_case.get_absolute_url())
        for n in range(4):
            weekly(active_case, alice, days_ago(n), place=f"Station {n}")
            liaise(active_case, alice, office, categories=[], date=days_ago(n))
        with CaptureQueriesContext(connection) as big:
            client.get(active_case.get_absolute_url())
        assert len(big) == len(small)

    def test_the_case_page_reads_a_list_of_the_card_only_when_the_case_has_one(
        self, as_user, active_case, alice, office
    ):
        client = as_user(alice)

        def page() -> tuple[int, str]:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(active_case.get_absolute_url())
            return len(queries), response.content.decode()

        empty, html = page()
        assert "No liaison with the authorities" in html
        weekly(active_case, alice, days_ago(8), place="Station Nord")
        with_obligation, html = page()
        assert "Station Nord" in html
        assert with_obligation == empty + 1
        liaise(active_case, alice, office, categories=[], date=days_ago(9))
        with_record, html = page()
        assert "Release onto the pilot" not in html  # the card names the kind, not the summary
        assert html.count('class="liaison"') == 1
        assert with_record == with_obligation + 1


class TestOnAClosedCase:
    def test_it_records_only_the_days_before_the_closure_and_changes_no_obligation(
        self, active_case, alice, as_user
    ):
        from engage.cases.models import Stage

        obligation = weekly(active_case, alice, days_ago(14))
        Case.objects.filter(pk=active_case.pk).update(stage=Stage.CLOSED, closure_date=days_ago(5))
        obligation.refresh_from_db()
        # A day before the closure, caught up with afterwards, is the case's record.
        services.record_reporting(obligation, by=alice, date=days_ago(7), status="reported")
        with pytest.raises(ValidationError, match="no longer open"):
            services.record_reporting(obligation, by=alice, date=days_ago(3), status="reported")
        assert not ReportingEvent.objects.filter(obligation=obligation, date=days_ago(3)).exists()
        active_case.refresh_from_db()
        data = {"place": "Elsewhere", "frequency": "weekly", "start_date": days_ago(14)}
        with pytest.raises(ValidationError, match="while the case is open"):
            services.save_obligation(
                active_case, by=alice, data=data, obligation=obligation, expected_version=1
            )
        obligation.refresh_from_db()
        assert obligation.place == "Rue Royale police station"
        body = as_user(alice).get(obligation.get_absolute_url()).content.decode()
        assert "Change the obligation" not in body
        assert "Reporting obligations are recorded while the case is open." in body
