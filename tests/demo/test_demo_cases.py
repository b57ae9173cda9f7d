"""The demo's fictional cases: believable, consistent with the process, and idempotent."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from engage.accounts.factories import UserFactory
from engage.cases.due import caseload
from engage.cases.models import (
    Case,
    CasePlan,
    Closure,
    Contact,
    InclusionDecision,
    Person,
    Stage,
)
from engage.cases.models.closure import ClosureReason
from engage.cases.models.process import ApprovalStatus
from engage.demo.cases import FAMILY_NAMES, LAST_REFERRAL, seed_cases
from tests.worlds import fresh, kept, sofia

TODAY = datetime.date(2025, 6, 30)  # a short demo: fewer rows, same story

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="class")
def _seeded_once(django_db_setup, django_db_blocker):
    """Sixty cases seeded once for the class below, each of its tests in a savepoint
    (tests/worlds.py); the module's last test wants a database without them."""
    with kept(django_db_blocker):
        pilot = sofia()
        organisation, alice, bob = pilot["organisation"], pilot["alice"], pilot["bob"]
        second = UserFactory(username="alice2", organisation=organisation, team=pilot["team"])
        seed_cases(
            organisation, case_managers=[alice, second], supervisor=bob, count=60, today=TODAY
        )
        yield pilot


class TestDemoCases:
    @pytest.fixture
    def organisation(self, _seeded_once, db):
        return fresh(_seeded_once["organisation"])

    @pytest.fixture
    def alice(self, _seeded_once, db):
        return fresh(_seeded_once["alice"])

    @pytest.fixture
    def bob(self, _seeded_once, db):
        return fresh(_seeded_once["bob"])

    @pytest.fixture
    def seeded(self, organisation):
        return Case.objects.filter(organisation=organisation)

    def test_it_spreads_cases_over_every_stage_and_closure_reason(self, seeded):
        assert 60 <= seeded.count() <= 61  # and one reopened enrollment
        assert set(seeded.values_list("stage", flat=True)) == set(Stage.values)
        reasons = Closure.objects.filter(case__in=seeded, status=ApprovalStatus.APPROVED)
        assert set(reasons.values_list("reason", flat=True)) == set(ClosureReason.values)
        assert seeded.filter(previous__isnull=False, stage=Stage.ACTIVE).count() == 1
        # Referrals of the past years fall in 2021-2024; only the open pipeline is recent.
        settled = seeded.exclude(stage__in=[Stage.REFERRED, Stage.SCREENING, Stage.INCLUDED])
        settled = settled.filter(previous__isnull=True)
        first, last = min(c.referral_date for c in settled), max(c.referral_date for c in settled)
        assert datetime.date(2021, 1, 1) <= first and last <= LAST_REFERRAL

    def test_its_stages_match_their_records(self, seeded):
        for case in seeded.filter(stage=Stage.ACTIVE):
            assert case.inclusion_decisions.get(status=ApprovalStatus.APPROVED).include
            assert case.plans.filter(status=CasePlan.Status.APPROVED).exists()
            assert case.assessments.exists() and case.contacts.exists()
            latest = case.engagement_records.order_by("-date", "-created_at").first()
            assert case.engagement_level == latest.level
        for case in seeded.filter(stage=Stage.CLOSED):
            closure = case.closures.get(status=ApprovalStatus.APPROVED)
            assert case.closure_date == closure.date
            assert not case.plans.filter(goals__actions__status="open").exists()
            if closure.reason == ClosureReason.RESOLVED:
                assert case.outcome
        for case in seeded.filter(stage=Stage.DECLINED):
            assert case.declined_date and case.declined_reason
        assert all(c.outcome_permanence for c in seeded.exclude(outcome=""))

    def test_its_dates_follow_the_story(self, seeded):
        assert not Contact.objects.filter(case__in=seeded, date__gt=TODAY).exists()
        for case in seeded.annotate(first=Max("contacts__date")):
            dates = [c.date for c in case.contacts.all()]
            assert all(case.referral_date <= d <= (case.closure_date or TODAY) for d in dates)
            if case.inclusion_date:
                assert case.referral_date < case.inclusion_date
            if case.previous_id:
                assert case.referral_date > case.previous.closure_date

    def test_about_a_quarter_reach_an_outcome(self, seeded):
        share = seeded.exclude(outcome="").count() / seeded.count()
        assert 0.15 <= share <= 0.35

    def test_each_case_manager_has_a_believable_caseload(self, seeded, alice, bob):
        rows = caseload(Case.objects.visible_to(alice).filter(case_manager=alice), TODAY)
        assert len(rows) >= 12
        assert any(row.due for row in rows) and any(not row.due for row in rows)
        assert InclusionDecision.objects.filter(status=ApprovalStatus.PENDING).exists()

    def test_the_first_case_manager_has_items_sent_back_with_a_note(self, seeded, alice, bob):
        from engage.cases.sent_back import sent_back

        entries = sent_back(Case.objects.filter(case_manager=alice))
        assert sorted(entry.kind for entry in entries) == ["closure", "inclusion", "plan"]
        assert all(entry.note and entry.by == bob for entry in entries)
        assert all(entry.on <= timezone.now() for entry in entries)
        plan = next(entry.item for entry in entries if entry.kind == "plan")
        assert plan.case.assessments.exists()  # it can be sent again once changed

    def test_its_plans_stay_current(self, seeded):
        """Goals of running plans achieved or given up, with the date; no plan was sent to the
        supervisor before the first assessment (issue 11 #5)."""
        from engage.cases.models import Action, Goal

        goals = Goal.objects.filter(plan__case__in=seeded)
        ended = goals.filter(plan__case__stage=Stage.ACTIVE).exclude(status=Goal.Status.OPEN)
        assert {g.status for g in ended} == {Goal.Status.ACHIEVED, Goal.Status.DROPPED}
        assert not goals.exclude(status=Goal.Status.OPEN).filter(status_date__isnull=True)
        assert not goals.filter(status=Goal.Status.OPEN, status_date__isnull=False).exists()
        assert all(g.status_date <= TODAY for g in goals.exclude(status_date=None))
        assert not Action.objects.filter(
            goal__in=goals.exclude(status=Goal.Status.OPEN), status=Action.Status.OPEN
        ).exists()
        sent = CasePlan.objects.filter(case__in=seeded).exclude(status=CasePlan.Status.DRAFT)
        assert all(plan.case.assessments.exists() for plan in sent)
        # What comes next: most active cases list an action to do soon on their page.
        active = seeded.filter(stage=Stage.ACTIVE)
        upcoming = active.filter(
            plans__goals__actions__status=Action.Status.OPEN,
            plans__goals__actions__due_date__gte=TODAY,
        ).distinct()
        assert upcoming.count() >= active.count() * 0.6

    def test_its_names_are_obviously_synthetic(self, seeded):
        assert set(Person.objects.values_list("family_name", flat=True)) <= set(FAMILY_NAMES)

    def test_it_adds_nothing_to_a_pilot_that_has_cases(self, seeded, organisation, alice, bob):
        before = seeded.count()
        assert seed_cases(organisation, case_managers=[alice], supervisor=bob, count=60) == 0
        assert seeded.count() == before


# Each pilot's cases once, after seeding twice: tests/demo/test_demo_seeded.py.


def test_seed_demo_without_cases_creates_staff_only(settings):
    settings.DEBUG = True
    call_command("seed_demo", no_cases=True, stdout=StringIO())
    assert not Case.objects.exists()
