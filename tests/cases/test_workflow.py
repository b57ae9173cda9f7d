"""Every move of the process, allowed and refused, through the services."""

import pytest
from django.core.exceptions import ValidationError

from engage.accounts.factories import UserFactory
from engage.audit.models import AuditEvent
from engage.cases import approvals, services
from engage.cases.factories import (
    MEETING,
    RATINGS,
    REOPENING,
    SCREENING,
    days_ago,
    to_active,
    to_included,
    to_screening,
)
from engage.cases.models import Action, Case, CasePlan, Closure, ClosureReason, Stage
from engage.cases.models.process import ApprovalStatus
from engage.cases.workflow import TRANSITIONS, move
from engage.lib.concurrency import ConcurrentEditError

pytestmark = pytest.mark.django_db


def _close(case, alice, bob, **data):
    closure = services.request_closure(
        case,
        by=alice,
        data={
            "date": days_ago(1),
            "reason": ClosureReason.RESOLVED,
            "outcome": "regularisation",
            "outcome_permanence": "permanent",
        }
        | data,
    )
    services.review_closure(closure, by=bob, approve=True)
    case.refresh_from_db()
    return closure


class TestTheStageMachine:
    @pytest.mark.parametrize("start", list(Stage))
    def test_it_allows_exactly_the_transitions_of_the_process(self, start):
        case = Case(stage=start)
        for target in Stage:
            case.stage = start
            if target in TRANSITIONS[start]:
                move(case, target)
                assert case.stage == target
            else:
                with pytest.raises(ValidationError):
                    move(case, target)

    def test_it_has_the_process_of_the_cap_model(self):
        assert TRANSITIONS[Stage.REFERRED] == {Stage.SCREENING, Stage.DECLINED}
        assert TRANSITIONS[Stage.SCREENING] == {Stage.INCLUDED, Stage.DECLINED}
        assert TRANSITIONS[Stage.INCLUDED] == {Stage.ACTIVE, Stage.CLOSED}
        assert TRANSITIONS[Stage.ACTIVE] == {Stage.CLOSED}
        assert TRANSITIONS[Stage.CLOSED] == TRANSITIONS[Stage.DECLINED] == set()


class TestReferralToScreening:
    def test_it_moves_to_screening_once_consent_is_recorded(self, case, alice):
        services.record_first_meeting(case, by=alice, data={"date": days_ago(190), **MEETING})
        assert case.stage == Stage.SCREENING
        assert AuditEvent.objects.filter(object_id=case.pk, detail="referred>screening").exists()

    def test_it_stays_referred_without_consent(self, case, alice):
        data = {"date": days_ago(190), **MEETING, "consent_given": False, "consent_method": ""}
        services.record_first_meeting(case, by=alice, data=data)
        case.refresh_from_db()
        assert case.stage == Stage.REFERRED

    def test_it_refuses_consent_before_everything_was_explained(self, case, alice):
        data = {"date": days_ago(190), **MEETING, "independence_explained": False}
        with pytest.raises(ValidationError, match="independence from the authorities"):
            services.record_first_meeting(case, by=alice, data=data)
        case.refresh_from_db()
        assert case.stage == Stage.REFERRED and not hasattr(case, "first_meeting")


class TestInclusion:
    def test_it_includes_after_a_supervisor_approves(self, case, alice, bob):
        to_included(case, alice, bob)
        assert case.stage == Stage.INCLUDED and case.inclusion_date == days_ago(180)

    def test_it_waits_for_the_supervisor(self, case, alice):
        to_screening(case, alice)
        services.save_screening(
            case, by=alice, data={"date": days_ago(185), **SCREENING}, expected_version=None
        )
        services.propose_inclusion(
            case, by=alice, include=True, date=days_ago(1), criteria_met=[], reason=""
        )
        case.refresh_from_db()
        assert case.stage == Stage.SCREENING

    def test_it_refuses_inclusion_before_screening(self, case, alice):
        to_screening(case, alice)
        with pytest.raises(ValidationError, match="Complete the screening"):
            services.propose_inclusion(
                case, by=alice, include=True, date=days_ago(1), criteria_met=[], reason=""
            )

    def test_it_refuses_to_include_a_referral_without_consent(self, case, alice):
        with pytest.raises(ValidationError, match="only after the first meeting"):
            services.propose_inclusion(
                case, by=alice, include=True, date=days_ago(1), criteria_met=[], reason=""
            )

    def test_it_declines_with_a_kept_reason(self, case, alice, bob):
        decision = services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="Moved away"
        )
        services.review_inclusion(decision, by=bob, approve=True)
        case.refresh_from_db()
        assert case.stage == Stage.DECLINED and case.declined_reason == "Moved away"

    def test_it_refuses_to_decline_without_a_reason(self, case, alice):
        with pytest.raises(ValidationError) as error:
            services.propose_inclusion(
                case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason=" "
            )
        assert "reason" in error.value.message_dict

    def test_it_keeps_the_checklist_as_answered(self, case, alice, organisation):
        first = services.add_criterion(organisation, by=alice, text="At risk of detention")
        services.add_criterion(organisation, by=alice, text="Lives in Sofia")
        decision = services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[first.pk], reason="No"
        )
        assert decision.criteria == [
            {"text": "At risk of detention", "met": True, "established": False},
            {"text": "Lives in Sofia", "met": False, "established": False},
        ]

    def test_it_lets_only_a_supervisor_of_the_case_approve(self, case, alice, ada, organisation):

        decision = services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="No"
        )
        stranger = UserFactory(role="supervisor", organisation=organisation)
        for person in (alice, ada, stranger):
            with pytest.raises(ValidationError):
                services.review_inclusion(decision, by=person, approve=True)

    def test_it_sends_back_with_a_note_and_allows_a_new_proposal(self, case, alice, bob):
        decision = services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="No"
        )
        with pytest.raises(ValidationError):
            services.review_inclusion(decision, by=bob, approve=False, note="")
        services.review_inclusion(decision, by=bob, approve=False, note="Try screening first")
        case.refresh_from_db()
        assert case.stage == Stage.REFERRED
        services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="No"
        )


class TestPlans:
    def test_it_refuses_a_plan_before_inclusion(self, case, alice):
        to_screening(case, alice)
        with pytest.raises(ValidationError, match="once the client is included"):
            services.create_plan(case, by=alice, person=case.person)

    def test_it_activates_the_case_when_the_first_plan_is_approved(self, case, alice, bob):
        case, plan = to_active(case, alice, bob)
        assert case.stage == Stage.ACTIVE and plan.approved_by == bob

    def test_it_agrees_later_plans_without_approval(self, case, alice, bob):
        case, _first = to_active(case, alice, bob)
        later = services.create_plan(case, by=alice, person=case.person)
        services.add_goal(later, by=alice, data={"area": "health", "description": "See a GP"})
        services.submit_plan(later, by=alice)
        assert later.status == CasePlan.Status.APPROVED

    def test_it_refuses_to_submit_an_empty_plan(self, case, alice, bob):
        to_included(case, alice, bob)
        services.record_assessment(case, by=alice, data={"date": days_ago(5), **RATINGS})
        plan = services.create_plan(case, by=alice, person=case.person)
        with pytest.raises(ValidationError, match="at least one goal"):
            services.submit_plan(plan, by=alice)

    def test_it_refuses_a_plan_for_someone_outside_the_household(
        self, case, alice, bob, foreign_case
    ):
        to_included(case, alice, bob)
        with pytest.raises(ValidationError):
            services.create_plan(case, by=alice, person=foreign_case.person)

    def test_it_wants_a_third_party_named(self, case, alice, bob):
        to_included(case, alice, bob)
        plan = services.create_plan(case, by=alice, person=case.person)
        goal = services.add_goal(
            plan, by=alice, data={"area": "basic_needs", "description": "Housing"}
        )
        with pytest.raises(ValidationError) as error:
            services.add_action(
                goal,
                by=alice,
                data={
                    "description": "Find a room",
                    "owner": "third_party",
                    "third_party": "",
                    "due_date": days_ago(-5),
                },
            )
        assert "third_party" in error.value.message_dict


class TestContactsAndEngagement:
    def test_it_keeps_the_engagement_history_and_the_latest_level(self, case, alice, bob):
        to_included(case, alice, bob)
        for days, level in ((20, "active"), (10, "compliant"), (15, "disengaged")):
            services.log_contact(
                case,
                by=alice,
                data={"date": days_ago(days), "type": "phone", "engagement_level": level},
            )
        case.refresh_from_db()
        assert case.engagement_level == "compliant"
        assert case.engagement_records.count() == 3

    def test_it_drops_the_note_of_a_meeting_recorded_without_content(self, case, alice):
        contact = services.log_contact(
            case,
            by=alice,
            data={
                "date": days_ago(1),
                "type": "face_to_face",
                "note": "secret",
                "content_not_recorded": True,
            },
        )
        assert contact.note == ""

    @pytest.mark.parametrize(
        ("days", "message"), [(-1, "in the future"), (201, "before the referral")]
    )
    def test_it_refuses_impossible_dates(self, case, alice, days, message):
        with pytest.raises(ValidationError, match=message):
            services.log_contact(case, by=alice, data={"date": days_ago(days), "type": "phone"})
        assert not case.contacts.exists()


class TestClosure:
    def test_it_closes_after_approval_and_ends_open_actions(self, case, alice, bob):
        case, plan = to_active(case, alice, bob)
        _close(case, alice, bob)
        assert case.stage == Stage.CLOSED and case.closure_date == days_ago(1)
        assert case.outcome == "regularisation" and case.outcome_permanence == "permanent"
        assert not Action.objects.filter(goal__plan=plan, status=Action.Status.OPEN).exists()

    def test_it_refuses_closing_without_a_reason(self, case, alice, bob):
        to_included(case, alice, bob)
        with pytest.raises(KeyError):
            services.request_closure(case, by=alice, data={"date": days_ago(1)})

    def test_it_wants_the_factors_of_a_disengagement(self, case, alice, bob):
        to_included(case, alice, bob)
        with pytest.raises(ValidationError) as error:
            services.request_closure(
                case, by=alice, data={"date": days_ago(1), "reason": "disengaged"}
            )
        assert "disengagement_factors" in error.value.message_dict

    def test_it_wants_an_outcome_for_a_resolved_case(self, case, alice, bob):
        to_included(case, alice, bob)
        with pytest.raises(ValidationError) as error:
            services.request_closure(
                case, by=alice, data={"date": days_ago(1), "reason": "resolved"}
            )
        assert "outcome" in error.value.message_dict

    def test_it_refuses_to_close_a_referral(self, case, alice):
        with pytest.raises(ValidationError, match="a referral is declined instead"):
            services.request_closure(case, by=alice, data={"date": days_ago(1), "reason": "other"})

    def test_it_reopens_as_a_new_linked_enrollment(self, case, alice, bob):
        case, _plan = to_active(case, alice, bob)
        _close(case, alice, bob)
        new = services.reopen(
            case,
            by=alice,
            referral={"referral_date": days_ago(0), **REOPENING},
        )
        assert new.previous == case and new.person == case.person and new.stage == Stage.REFERRED
        with pytest.raises(ValidationError, match="already reopened"):
            services.reopen(case, by=alice, referral={"referral_date": days_ago(0)})

    def test_it_refuses_to_reopen_an_open_case(self, case, alice):
        with pytest.raises(ValidationError, match="Only a closed or declined case"):
            services.reopen(case, by=alice, referral={"referral_date": days_ago(0)})


class TestAssessments:
    def test_it_refuses_an_assessment_before_inclusion(self, case, alice):
        with pytest.raises(ValidationError, match="Assessments start once"):
            services.record_assessment(case, by=alice, data={"date": days_ago(1), **RATINGS})

    def test_it_fulfils_an_early_reassessment_request(self, case, alice, bob):
        case, _plan = to_active(case, alice, bob)
        request = services.request_reassessment(
            case, by=alice, trigger="new_decision", note="Refused"
        )
        assessment = services.record_assessment(
            case, by=alice, data={"date": days_ago(0), **RATINGS}
        )
        request.refresh_from_db()
        assert request.fulfilled_by == assessment


def _a_plan_with_a_goal(case, alice, bob):
    """The case included and assessed, and a first plan with one goal, not yet sent."""
    to_included(case, alice, bob)
    services.record_assessment(case, by=alice, data={"date": days_ago(170), **RATINGS})
    plan = services.create_plan(case, by=alice, person=case.person)
    goal = services.add_goal(plan, by=alice, data={"area": "migration",
                                                   "migration_option": "legal_stay",
                                                   "description": "G"})  # fmt: skip
    return plan, goal


class TestApproversOfTheCasesTeam:
    """Approvals are the case's team's supervisor's, once, and never of one's own sending."""


    def test_a_supervisor_who_sent_a_colleagues_plan_does_not_approve_it(self, case, alice, bob):
        plan, _goal = _a_plan_with_a_goal(case, alice, bob)
        services.submit_plan(plan, by=bob)
        with pytest.raises(ValidationError, match="Another supervisor"):
            services.review_plan(plan, by=bob, approve=True)
        assert CasePlan.objects.get(pk=plan.pk).status == CasePlan.Status.PENDING

    def test_another_teams_supervisor_neither_sees_nor_decides_its_steps(self, bob, partner):
        dan, sue = partner.case_manager, partner.case_manager.team.leader
        to_included(partner, dan, sue)
        closure = services.request_closure(partner, by=dan, data={
            "date": days_ago(1), "reason": ClosureReason.TRANSFERRED})  # fmt: skip
        assert closure.pk not in {w.item.pk for w in approvals.queue(bob)}
        with pytest.raises(ValidationError, match="Only a supervisor of this case"):
            services.review_closure(closure, by=bob, approve=True)
        assert closure.pk in {w.item.pk for w in approvals.queue(sue)}
        services.review_closure(closure, by=sue, approve=True)
        assert Case.objects.get(pk=partner.pk).stage == Stage.CLOSED

    def test_a_late_decision_does_not_undo_an_earlier_one(self, alice, bob, case):
        # The closure opened in two tabs (or by two supervisors): approved in one, the other
        # page, older, sends it back: refused, the case stays closed and the closure approved.
        to_included(case, alice, bob)
        closure = services.request_closure(case, by=alice, data={
            "date": days_ago(1), "reason": ClosureReason.TRANSFERRED})  # fmt: skip
        seen_earlier = Closure.objects.get(pk=closure.pk)
        services.review_closure(Closure.objects.get(pk=closure.pk), by=bob, approve=True)
        with pytest.raises(ValidationError, match="no longer waiting"):
            services.review_closure(seen_earlier, by=bob, approve=False, note="not yet")
        assert Closure.objects.get(pk=closure.pk).status == ApprovalStatus.APPROVED
        assert Case.objects.get(pk=case.pk).stage == Stage.CLOSED

    def test_a_plan_left_waiting_on_a_closed_case_is_not_approved(self, case, alice, bob):
        plan, _goal = _a_plan_with_a_goal(case, alice, bob)
        services.submit_plan(plan, by=alice)
        closure = services.request_closure(case, by=alice, data={
            "date": days_ago(1), "reason": ClosureReason.TRANSFERRED})  # fmt: skip
        services.review_closure(closure, by=bob, approve=True)
        with pytest.raises(ValidationError):
            services.review_plan(CasePlan.objects.get(pk=plan.pk), by=bob, approve=True)
        assert CasePlan.objects.get(pk=plan.pk).status == CasePlan.Status.PENDING


class TestActionStatus:
    def test_it_does_not_change_while_the_plan_waits_for_approval(self, case, alice, bob):
        plan, goal = _a_plan_with_a_goal(case, alice, bob)
        action = services.add_action(goal, by=alice, data={
            "description": "A", "owner": "client", "due_date": days_ago(-3)})  # fmt: skip
        services.submit_plan(plan, by=alice)
        with pytest.raises(ValidationError, match="waiting for approval"):
            services.set_action_status(
                Action.objects.get(pk=action.pk), by=alice, status="done", expected_version=1
            )
        assert Action.objects.get(pk=action.pk).status == Action.Status.OPEN

    def test_a_status_change_makes_an_edit_of_the_action_as_it_was_stale(self, case, alice, bob):
        _case, plan = to_active(case, alice, bob)
        action = Action.objects.get(goal__plan=plan)
        seen = action.version
        services.set_action_status(
            Action.objects.get(pk=action.pk), by=bob, status="done", expected_version=seen
        )
        with pytest.raises(ConcurrentEditError):
            services.edit_action(Action.objects.get(pk=action.pk), by=alice, data={
                "description": "Changed", "owner": "client", "third_party": "",
                "due_date": days_ago(-3)}, expected_version=seen)  # fmt: skip
