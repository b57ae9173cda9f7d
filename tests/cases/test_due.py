"""Every rule of "what is due" on a caseload."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_scopes import ScopeError

from engage.cases import due, services
from engage.cases.due import Due, DueRule, Tier, caseload, due_items, with_due_facts
from engage.cases.factories import RATINGS, CaseFactory, days_ago, to_active, to_included
from engage.cases.models import Case, Contact

pytestmark = pytest.mark.django_db


def _due(case):
    today = timezone.localdate()
    annotated = with_due_facts(Case.objects.filter(pk=case.pk), today).get()
    return {item.kind: item for item in due_items(annotated, today)}


class TestContact:
    def test_it_flags_a_contact_overdue_after_the_pilots_interval(self, case, alice):
        services.log_contact(case, by=alice, data={"date": days_ago(15), "type": "phone"})
        assert _due(case)[Due.CONTACT].days_overdue == 1

    def test_it_does_not_flag_a_recent_contact(self, case, alice):
        services.log_contact(case, by=alice, data={"date": days_ago(14), "type": "phone"})
        assert Due.CONTACT not in _due(case)

    def test_it_follows_the_pilots_own_interval(self, case, alice, organisation):
        organisation.contact_interval_days = 30
        organisation.save()
        services.log_contact(case, by=alice, data={"date": days_ago(20), "type": "phone"})
        assert Due.CONTACT not in _due(case)

    def test_it_counts_from_the_referral_when_there_was_no_contact(self, case):
        assert _due(case)[Due.CONTACT].days_overdue == 200 - 14


class TestAssessmentAndPlan:
    def test_it_wants_a_first_assessment_and_a_plan_after_inclusion(self, case, alice, bob):
        to_included(case, alice, bob)
        due = _due(case)
        assert due[Due.ASSESSMENT].label == "First assessment due"
        assert Due.PLAN in due

    def test_it_wants_a_reassessment_after_the_interval(self, case, alice, bob, organisation):
        case, _plan = to_active(case, alice, bob)  # assessed 170 days ago
        assert _due(case)[Due.ASSESSMENT].days_overdue == 170 - 90
        organisation.reassessment_interval_days = 180
        organisation.save()
        assert Due.ASSESSMENT not in _due(case)

    def test_it_flags_an_early_reassessment_request(self, case, alice, bob):
        case, _plan = to_active(case, alice, bob)
        services.record_assessment(case, by=alice, data={"date": days_ago(1), **RATINGS})
        assert Due.ASSESSMENT not in _due(case)
        services.request_reassessment(case, by=alice, trigger="crisis", note="")
        assert _due(case)[Due.ASSESSMENT].label == "Reassessment requested"

    def test_it_wants_a_plan_review_after_the_interval(self, case, alice, bob, organisation):
        case, plan = to_active(case, alice, bob)
        assert Due.PLAN_REVIEW not in _due(case)
        organisation.plan_review_interval_days = 3
        organisation.save()
        five_days_ago = timezone.now() - timezone.timedelta(days=5)
        type(plan).objects.filter(pk=plan.pk).update(approved_at=five_days_ago)
        assert _due(case)[Due.PLAN_REVIEW].days_overdue == 2
        services.add_plan_review(plan, by=alice, date=days_ago(0), note="On track")
        assert Due.PLAN_REVIEW not in _due(case)

    def test_it_counts_the_plan_review_from_the_day_it_was_agreed_where_the_organisation_works(
        self, case, alice, bob, organisation
    ):
        """A plan agreed at 00:30 in Sofia on 1 March is stored at 22:30 UTC on 28 February:
        its review falls due counted from 1 March, not a day early."""
        organisation.time_zone = "Europe/Sofia"
        organisation.plan_review_interval_days = 3
        organisation.save()
        agreed = datetime.datetime(2027, 2, 28, 22, 30, tzinfo=datetime.UTC)
        with time_machine.travel(datetime.datetime(2027, 3, 6, 12, tzinfo=datetime.UTC)):
            case, plan = to_active(case, alice, bob)
            type(plan).objects.filter(pk=plan.pk).update(approved_at=agreed)
            with timezone.override(zoneinfo.ZoneInfo("Europe/Sofia")):
                assert timezone.localdate() == datetime.date(2027, 3, 6)
                # Due on 4 March (1 March + 3 days): two days late on 6 March.
                assert _due(case)[Due.PLAN_REVIEW].days_overdue == 2

    def test_the_case_page_shows_the_plan_review_due_as_the_caseload_does(
        self, case, alice, bob, organisation, as_user
    ):
        """The case page takes its agreed plans from those its timeline reads with their
        reviews (a query fewer): the same review due as `with_due_facts` gives the caseload,
        counted from the last review once there is one."""
        case, plan = to_active(case, alice, bob)
        organisation.plan_review_interval_days = 3
        organisation.save()
        five_days_ago = timezone.now() - timezone.timedelta(days=5)
        type(plan).objects.filter(pk=plan.pk).update(approved_at=five_days_ago)
        client = as_user(alice)
        assert _due(case)[Due.PLAN_REVIEW].days_overdue == 2
        assert "Plan review due" in client.get(f"/cases/{case.pk}/").content.decode()
        services.add_plan_review(plan, by=alice, date=days_ago(4), note="On track")
        assert _due(case)[Due.PLAN_REVIEW].days_overdue == 1
        assert "Plan review due" in client.get(f"/cases/{case.pk}/").content.decode()
        services.add_plan_review(plan, by=alice, date=days_ago(0), note="Still on track")
        assert Due.PLAN_REVIEW not in _due(case)
        assert "Plan review due" not in client.get(f"/cases/{case.pk}/").content.decode()

    def test_it_flags_actions_past_their_date(self, case, alice, bob):
        case, plan = to_active(case, alice, bob)
        goal = plan.goals.get()
        services.add_action(
            goal,
            by=alice,
            data={"description": "Call", "owner": "case_manager", "due_date": days_ago(3)},
        )
        assert Due.ACTIONS in _due(case)

    def test_it_shows_what_waits_for_approval(self, case, alice):
        services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="x"
        )
        assert Due.APPROVAL in _due(case)


class TestCaseload:
    def test_it_sorts_the_most_urgent_first_and_leaves_closed_cases_out(
        self, organisation, alice, bob
    ):
        calm = CaseFactory(organisation=organisation, case_manager=alice, referral_date=days_ago(2))
        urgent = CaseFactory(
            organisation=organisation, case_manager=alice, referral_date=days_ago(100)
        )
        closed = CaseFactory(organisation=organisation, case_manager=alice, stage="closed")
        rows = caseload(Case.objects.visible_to(alice), timezone.localdate())
        assert [row.case for row in rows] == [urgent, calm]
        assert closed not in [row.case for row in rows]


class TestFactsMadeOnceADay:
    """`facts_of_the_day`: the rules' annotations, made once a day and shared by every page."""

    def test_it_makes_them_once_a_day_and_again_the_next(self):
        today = timezone.localdate()
        assert due.facts_of_the_day(today) is due.facts_of_the_day(today)
        tomorrow = due.facts_of_the_day(today + datetime.timedelta(days=1))
        assert tomorrow is not due.facts_of_the_day(today)
        assert list(tomorrow) == list(due.facts_of_the_day(today))  # the same facts

    def test_it_gives_each_organisation_its_own_cases_due_from_the_same_facts(
        self, case, alice, charlie
    ):
        theirs = CaseFactory(organisation=charlie.organisation, case_manager=charlie)
        services.log_contact(case, by=alice, data={"date": days_ago(15), "type": "phone"})
        services.log_contact(theirs, by=charlie, data={"date": days_ago(2), "type": "phone"})
        assert _due(case)[Due.CONTACT].days_overdue == 1
        assert Due.CONTACT not in _due(theirs)

    def test_it_refuses_a_rule_that_reads_through_a_scoped_manager(self, case):
        """Such a rule's subquery would filter by the organisation of whoever made the facts
        first, and every reader after would get it: made outside every scope, it raises."""

        def through_the_scope(today):
            return {"any_contact": Exists(Contact.objects.filter(case=OuterRef("pk")))}

        rule = DueRule("scoped", "Scoped", Tier.RISK, through_the_scope, lambda case, today: [])
        due.register(rule)
        try:
            with pytest.raises(ScopeError):
                _due(case)
        finally:
            del due._RULES["scoped"]
            due.facts_of_the_day.cache_clear()
        assert Due.CONTACT in _due(case)  # the registered rules alone again
