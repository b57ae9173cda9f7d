"""Referrals waiting for news on the caseload and the case page; the per-service figures."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engage.cases.due import caseload, due_items, with_due_facts
from engage.cases.factories import CaseFactory
from engage.cases.models import Case
from engage.directory import services, statistics
from engage.directory.follow_up import KIND
from engage.directory.models import FOLLOW_UP_DAYS, Referral
from tests.directory.conftest import days_ago, refer

pytestmark = pytest.mark.django_db

Status = Referral.Status


def _follow_up(case):
    today = timezone.localdate()
    annotated = with_due_facts(Case.objects.filter(pk=case.pk), today).get()
    return next((item for item in due_items(annotated, today) if item.kind == KIND), None)


def _move(referral, by, status, date):
    referral.refresh_from_db()
    services.update_referral(
        referral, by=by, status=status, date=date, expected_version=referral.version
    )


class TestFollowUp:
    def test_it_flags_a_referral_without_news_after_the_follow_up_days(
        self, active_case, alice, shelter
    ):
        refer(active_case, alice, shelter, categories=[], made_on=days_ago(FOLLOW_UP_DAYS))
        assert _follow_up(active_case) is None
        Referral.objects.update(made_on=days_ago(FOLLOW_UP_DAYS + 3))
        assert _follow_up(active_case).days_overdue == 3

    def test_it_counts_from_the_acceptance_and_stops_at_the_end(self, active_case, alice, shelter):
        referral = refer(active_case, alice, shelter, categories=[], made_on=days_ago(40))
        _move(referral, alice, Status.ACCEPTED, days_ago(20))
        assert _follow_up(active_case).days_overdue == 20 - FOLLOW_UP_DAYS
        _move(referral, alice, Status.COMPLETED, days_ago(1))
        assert _follow_up(active_case) is None

    def test_it_does_not_follow_up_a_declined_referral(self, active_case, alice, shelter):
        referral = refer(active_case, alice, shelter, categories=[], made_on=days_ago(40))
        _move(referral, alice, Status.DECLINED, days_ago(30))
        assert _follow_up(active_case) is None

    def test_it_takes_the_longest_waiting_referral(self, active_case, alice, shelter):
        refer(active_case, alice, shelter, categories=[], made_on=days_ago(20))
        refer(active_case, alice, shelter, categories=[], made_on=days_ago(30))
        refer(active_case, alice, shelter, categories=[], made_on=days_ago(2))
        assert _follow_up(active_case).days_overdue == 30 - FOLLOW_UP_DAYS

    def test_it_shows_on_the_caseload_and_filters_the_case_list(
        self, as_user, active_case, alice, shelter
    ):
        refer(active_case, alice, shelter, categories=[], made_on=days_ago(30))
        client = as_user(alice)
        body = client.get("/").content.decode()
        assert "Referral follow-up" in body and "?due=referral" in body
        body = client.get("/cases/", {"due": "referral"}).content.decode()
        assert active_case.reference in body

    def test_the_caseload_keeps_its_query_count_as_referrals_grow(
        self, as_user, organisation, active_case, alice, bob, shelter
    ):
        refer(active_case, alice, shelter, categories=[], made_on=days_ago(30))
        for user in (alice, bob):
            client = as_user(user)
            with CaptureQueriesContext(connection) as small:
                client.get("/")
            for n in range(5):
                case = CaseFactory(organisation=organisation, case_manager=alice)
                refer(case, alice, shelter, categories=[], made_on=days_ago(20 + n))
                refer(active_case, alice, shelter, categories=[], made_on=days_ago(n))
            with CaptureQueriesContext(connection) as big:
                client.get("/")
            assert len(big) == len(small), user
        assert len(caseload(Case.objects.filter(case_manager=alice), days_ago(0))) == 11

    def test_the_case_page_keeps_its_query_count_as_referrals_grow(
        self, as_user, active_case, alice, shelter
    ):
        refer(active_case, alice, shelter, categories=[])
        client = as_user(alice)
        with CaptureQueriesContext(connection) as small:
            client.get(f"/cases/{active_case.pk}/")
        for n in range(5):
            refer(active_case, alice, shelter, categories=[], made_on=days_ago(n))
        with CaptureQueriesContext(connection) as big:
            client.get(f"/cases/{active_case.pk}/")
        assert len(big) == len(small)

    def test_the_case_page_reads_the_referrals_only_when_the_case_has_one(
        self, as_user, active_case, alice, shelter
    ):
        client = as_user(alice)

        def page() -> tuple[list[str], str]:
            with CaptureQueriesContext(connection) as queries:
                body = client.get(f"/cases/{active_case.pk}/").content.decode()
            return [q["sql"] for q in queries], body

        read, body = page()
        assert not [sql for sql in read if sql.startswith('SELECT "directory_referral".')]
        refer(active_case, alice, shelter, categories=[])
        read_with, body = page()
        assert shelter.name in body
        assert (
            len([sql for sql in read_with if sql.startswith('SELECT "directory_referral".')]) == 1
        )
        assert len(read_with) == len(read) + 1


class TestStatistics:
    def test_it_counts_per_service_on_a_hand_computed_fixture(
        self, organisation, active_case, alice, bob, shelter
    ):
        clinic = services.save_service(
            organisation,
            by=bob,
            data={"name": "Clinic", "type": "healthcare", "city": "Sofia", "active": True},
        )
        services.save_service(  # a service without referrals is not listed
            organisation,
            by=bob,
            data={"name": "Unused", "type": "other", "city": "Sofia", "active": True},
        )
        # Shelter: accepted after 2, 4 and 9 days (one completed, one no-show, one running),
        # one declined, one waiting. Median of 2, 4, 9 = 4.
        plan = [
            (30, [(Status.ACCEPTED, 28), (Status.COMPLETED, 10)]),
            (30, [(Status.ACCEPTED, 26), (Status.NO_SHOW, 20)]),
            (20, [(Status.ACCEPTED, 11)]),
            (20, [(Status.DECLINED, 19)]),
            (3, []),
        ]
        for made, moves in plan:
            referral = refer(active_case, alice, shelter, categories=[], made_on=days_ago(made))
            for status, on in moves:
                _move(referral, alice, status, days_ago(on))
        # Clinic: accepted after 1 and 4 days: median 2.5.
        for made, on in ((10, 9), (10, 6)):
            referral = refer(active_case, alice, clinic, categories=[], made_on=days_ago(made))
            _move(referral, alice, Status.ACCEPTED, days_ago(on))
        figures = {row.service.name: row for row in statistics.per_service(organisation)}
        assert list(figures) == ["Clinic", "Sofia night shelter"]
        row = figures["Sofia night shelter"]
        assert (row.made, row.waiting, row.accepted, row.declined) == (5, 1, 3, 1)
        assert (row.completed, row.no_show, row.median_days_to_accept) == (1, 1, 4)
        row = figures["Clinic"]
        assert (row.made, row.accepted, row.completed, row.median_days_to_accept) == (2, 2, 0, 2.5)

    def test_it_shows_the_figures_to_supervisors_and_admins_only(
        self, as_user, active_case, alice, bob, ada, olga, shelter
    ):
        refer(active_case, alice, shelter, categories=[])
        for user in (bob, ada):
            body = as_user(user).get("/directory/statistics/").content.decode()
            assert "Sofia night shelter" in body
        assert as_user(alice).get("/directory/statistics/").status_code == 404
        body = as_user(olga).get("/directory/statistics/").content.decode()
        assert "Sofia night shelter" not in body and "No referral has been made" in body
