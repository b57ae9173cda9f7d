"""The caseload's order (docs/caseload.md), built by hand case by case, and what feeds it."""

import datetime

import pytest
from django.utils import timezone, translation

from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.due import (
    Due,
    DueItem,
    Tier,
    caseload,
    due_items,
    lateness,
    next_contact_on,
    rank,
    sort_by_kind,
    sort_rows,
    tier_of,
    with_due_facts,
)
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Case, Stage
from engage.directory import services as directory
from engage.directory.follow_up import KIND as REFERRAL
from engage.directory.models import FOLLOW_UP_DAYS, Referral
from engage.liaison.due import LIAISON, REPORTING
from engage.lib.concurrency import ConcurrentEditError
from tests.directory.conftest import SHELTER, refer
from tests.liaison.conftest import weekly

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def _due(case):
    annotated = with_due_facts(Case.objects.filter(pk=case.pk), _today()).get()
    return {item.kind: item for item in due_items(annotated, _today())}


def _client(organisation, alice, name, **fields):
    return CaseFactory(
        organisation=organisation, case_manager=alice, person__given_name=name, **fields
    )


def _in_touch(case, alice, days=1, **fields):
    services.log_contact(case, by=alice, data={"date": days_ago(days), "type": "phone", **fields})


def _plan_review_late_by(plan, organisation, days):
    """Approve `plan` long enough ago that its review is `days` late."""
    approved = timezone.now() - datetime.timedelta(
        days=organisation.plan_review_interval_days + days
    )
    type(plan).objects.filter(pk=plan.pk).update(approved_at=approved)


def _order(user):
    return [row.case.person.given_name for row in caseload(Case.objects.visible_to(user), _today())]


class TestTheRankingRule:
    def test_risks_are_the_contact_disengagement_reporting_and_quiet_follow_ups(self):
        for kind in (Due.CONTACT, Due.DISENGAGED, REPORTING, REFERRAL, LIAISON):
            assert tier_of(kind) == Tier.RISK, kind
        for kind in (Due.ASSESSMENT, Due.PLAN, Due.PLAN_REVIEW, Due.ACTIONS):
            assert tier_of(kind) == Tier.WORK, kind
        assert tier_of(Due.APPROVAL) == Tier.WAIT

    def test_any_risk_comes_before_any_paperwork_however_late(self):
        def item(kind, days):
            return DueItem(kind, "", days)

        contact_3 = [item(Due.CONTACT, 3)]
        review_80 = [item(Due.PLAN_REVIEW, 80), item(Due.ASSESSMENT, 80), item(Due.ACTIONS, 9)]
        reporting_today = [item(REPORTING, 0)]
        waiting = [DueItem(Due.APPROVAL, "", None)]
        ranked = sorted([[], waiting, review_80, reporting_today, contact_3], key=rank)
        assert ranked == [contact_3, reporting_today, review_80, waiting, []]

    def test_within_a_tier_the_most_days_overdue_come_first(self):
        referral_9 = [DueItem(REFERRAL, "", 9), DueItem(Due.PLAN_REVIEW, "", 200)]
        contact_4 = [DueItem(Due.CONTACT, "", 4)]
        assert sorted([contact_4, referral_9], key=rank) == [referral_9, contact_4]


class TestTheCaseloadOrder:
    def test_three_days_without_contact_come_before_a_plan_review_80_days_late(
        self, organisation, alice, bob
    ):
        review, _ = to_active(_client(organisation, alice, "Review"), alice, bob)
        _in_touch(review, alice)
        _plan_review_late_by(review.plans.get(), organisation, 80)
        interval = organisation.contact_interval_days
        _client(organisation, alice, "Contact", referral_date=days_ago(interval + 3))
        assert _due(review)[Due.PLAN_REVIEW].days_overdue == 80
        assert _order(alice) == ["Contact", "Review"]

    def test_a_disengaged_client_comes_before_a_late_reassessment(self, organisation, alice, bob):
        reassess, _ = to_active(_client(organisation, alice, "Reassess"), alice, bob)
        _in_touch(reassess, alice)  # assessed 170 days ago: 80 days late
        gone, _ = to_active(_client(organisation, alice, "Gone"), alice, bob)
        services.record_assessment(
            gone, by=alice, data={"date": days_ago(2), **dict.fromkeys(_RATINGS, 2)}
        )
        _in_touch(gone, alice, days=2, engagement_level="disengaged")
        assert _order(alice) == ["Gone", "Reassess"]

    def test_missed_reporting_and_a_quiet_referral_come_before_paperwork(
        self, organisation, alice, bob
    ):
        paperwork, _ = to_active(_client(organisation, alice, "Paperwork"), alice, bob)
        _in_touch(paperwork, alice)
        _plan_review_late_by(paperwork.plans.get(), organisation, 60)
        reporting, _ = to_active(_client(organisation, alice, "Reporting"), alice, bob)
        _in_touch(reporting, alice)
        weekly(reporting, alice, days_ago(2))
        quiet, _ = to_active(_client(organisation, alice, "Quiet"), alice, bob)
        _in_touch(quiet, alice)
        shelter = directory.save_service(organisation, by=bob, data=dict(SHELTER))
        refer(quiet, alice, shelter, categories=[], made_on=days_ago(FOLLOW_UP_DAYS + 5))
        assert Referral.objects.filter(case=quiet).exists()
        # The paperwork is 60 days late, the plan review of the others only due: risk wins.
        for case in (reporting, quiet):
            _plan_review_late_by(case.plans.get(), organisation, 0)
        assert _order(alice) == ["Quiet", "Reporting", "Paperwork"]

    def test_a_case_waiting_for_approval_comes_after_late_paperwork(self, organisation, alice, bob):
        waiting = _client(organisation, alice, "Waiting", referral_date=days_ago(3))
        services.propose_inclusion(
            waiting, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="x"
        )
        paperwork, _ = to_active(_client(organisation, alice, "Paperwork"), alice, bob)
        _in_touch(paperwork, alice)
        calm = _client(organisation, alice, "Calm", referral_date=days_ago(1))
        assert _order(alice) == ["Paperwork", "Waiting", "Calm"]
        assert calm


_RATINGS = ("informed_decisions", "engage_procedures", "wellbeing")


class TestClosureWaitingForApproval:
    def test_it_drops_the_review_flags_but_keeps_the_risks(self, organisation, alice, bob):
        case, plan = to_active(_client(organisation, alice, "Closing"), alice, bob)
        _plan_review_late_by(plan, organisation, 10)
        services.add_action(
            plan.goals.get(),
            by=alice,
            data={"description": "Call", "owner": "case_manager", "due_date": days_ago(3)},
        )
        before = _due(case)
        assert {Due.ASSESSMENT, Due.PLAN_REVIEW, Due.ACTIONS, Due.CONTACT} <= set(before)
        services.request_closure(
            case,
            by=alice,
            data={
                "date": days_ago(0),
                "reason": "resolved",
                "outcome": "protection",
                "outcome_permanence": "permanent",
            },
        )
        assert set(_due(case)) == {Due.CONTACT, Due.APPROVAL}


class TestDisengagement:
    def test_it_flags_a_client_disengaged_since_the_run_began(self, case, alice):
        _in_touch(case, alice, days=30, engagement_level="active")
        _in_touch(case, alice, days=12, engagement_level="disengaged")
        _in_touch(case, alice, days=5, engagement_level="disengaged")
        item = _due(case)[Due.DISENGAGED]
        assert item.since == days_ago(12) and item.days_overdue == 0  # to act on now

    def test_it_stops_once_the_client_engages_again(self, case, alice):
        _in_touch(case, alice, days=12, engagement_level="disengaged")
        assert Due.DISENGAGED in _due(case)
        _in_touch(case, alice, days=1, engagement_level="compliant")
        assert Due.DISENGAGED not in _due(case)


class TestContactInterval:
    def test_it_defaults_to_the_organisations(self, case, alice, organisation):
        _in_touch(case, alice, days=10)
        assert Due.CONTACT not in _due(case)
        annotated = with_due_facts(Case.objects.filter(pk=case.pk), _today()).get()
        assert next_contact_on(annotated) == days_ago(10 - organisation.contact_interval_days)

    def test_a_weekly_client_is_overdue_after_a_week(self, case, alice):
        _in_touch(case, alice, days=10)
        services.set_contact_interval(case, by=alice, days=7, expected_version=case.version)
        assert _due(case)[Due.CONTACT].days_overdue == 3
        assert AuditEvent.objects.filter(
            object_id=str(case.pk), detail="contact_interval_days"
        ).exists()

    def test_a_monthly_client_is_not_overdue_after_three_weeks(self, case, alice, organisation):
        _in_touch(case, alice, days=21)
        assert Due.CONTACT in _due(case)
        services.set_contact_interval(case, by=alice, days=30, expected_version=case.version)
        assert Due.CONTACT not in _due(case)
        services.set_contact_interval(case, by=alice, days=None, expected_version=case.version)
        case.refresh_from_db()
        assert case.contact_interval_days is None
        assert case.contact_interval == organisation.contact_interval_days

    def test_it_refuses_a_stale_version_and_a_closed_case(self, case, alice):
        services.set_contact_interval(case, by=alice, days=7, expected_version=case.version)
        with pytest.raises(ConcurrentEditError):
            services.set_contact_interval(case, by=alice, days=14, expected_version=1)
        Case.objects.filter(pk=case.pk).update(stage=Stage.CLOSED)
        case.refresh_from_db()
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            services.set_contact_interval(case, by=alice, days=14, expected_version=case.version)


class TestLateness:
    def test_it_says_overdue_by_due_today_and_due_in(self):
        assert lateness(22) == "overdue by 22 days"
        assert lateness(1) == "overdue by 1 day"
        assert lateness(0) == "due today"
        assert lateness(-3) == "due in 3 days"
        assert lateness(None) == ""

    @pytest.mark.parametrize(
        ("language", "expected"),
        [
            ("fr", "en retard de 22 jours"),
            ("nl", "22 dagen te laat"),
            ("pl", "po terminie o 22 dni"),
        ],
    )
    def test_it_says_it_in_the_persons_language(self, language, expected):
        with translation.override(language):
            assert lateness(22) == expected
            assert lateness(0) != "due today"


class TestSorting:
    def _rows(self, organisation, alice, bob):
        never = _client(organisation, alice, "Never", referral_date=days_ago(3))
        recent = _client(organisation, alice, "Recent", referral_date=days_ago(100))
        _in_touch(recent, alice, days=2)
        old = _client(organisation, alice, "Old", referral_date=days_ago(100))
        _in_touch(old, alice, days=40)
        active, _ = to_active(_client(organisation, alice, "Active"), alice, bob)
        _in_touch(active, alice, days=20)
        assert never and active
        return caseload(Case.objects.visible_to(alice), _today())

    def _names(self, rows):
        return [row.case.person.given_name for row in rows]

    def test_it_sorts_by_last_contact_next_contact_and_stage(self, organisation, alice, bob):
        rows = self._rows(organisation, alice, bob)
        assert sort_rows(rows, "last_contact") == "last_contact"
        assert self._names(rows) == ["Never", "Old", "Active", "Recent"]
        sort_rows(rows, "-last_contact")
        assert self._names(rows) == ["Recent", "Active", "Old", "Never"]
        sort_rows(rows, "next_contact")
        assert self._names(rows) == ["Old", "Active", "Never", "Recent"]
        sort_rows(rows, "stage")
        assert self._names(rows)[-1] == "Active"

    def test_an_unknown_sort_is_the_ranking(self, organisation, alice, bob):
        rows = self._rows(organisation, alice, bob)
        assert sort_rows(rows, "-password") == "due"
        assert [row.case for row in rows] == [
            row.case for row in caseload(Case.objects.visible_to(alice), _today())
        ]

    def test_a_kind_sorts_by_its_own_days_overdue(self, organisation, alice, bob):
        rows = self._rows(organisation, alice, bob)
        sort_by_kind(rows, Due.CONTACT)
        assert self._names(rows)[:2] == ["Old", "Active"]
