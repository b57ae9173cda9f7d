"""What is written on a case while its person is erased: the step is checked on the person and
the case as stored, locked in erasure's order, not as the request loaded them (item 91 did it
for documents). Erasure runs once: anything written after it stays for good.

The tests on SQLite play the request that loaded the case before the erasure committed; the
one on PostgreSQL a write made while an erasure is under way."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from engage.cases import services, workflow
from engage.cases.access import get_case_for_user
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import (
    Action,
    Appointment,
    Assessment,
    Case,
    CasePlan,
    Contact,
    Household,
    Person,
    PlanReview,
    ReassessmentRequest,
    SearchToken,
)
from engage.privacy.services import erase_person
from tests.row_locks import waits_for

pytestmark = pytest.mark.django_db

NOTE = "Zzsecret she sleeps at her cousin's"


@pytest.fixture
def active(organisation, alice, bob):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    return case


def _loaded_then_erased(case, alice, bob):
    """The case as a request loads it (its person with it), then the person erased."""
    loaded = get_case_for_user(alice, case.pk, for_work=True)
    erase_person(case.person, by=bob, reason="request")
    return loaded


def test_it_logs_no_contact_on_a_case_whose_person_was_erased_meanwhile(active, alice, bob):
    loaded = _loaded_then_erased(active, alice, bob)
    with pytest.raises(ValidationError) as refused:
        services.log_contact(
            loaded, by=alice, data={"date": days_ago(0), "type": "phone", "note": NOTE}
        )
    assert refused.value.messages == [str(workflow.ERASED)]
    assert not Contact.objects.filter(case=active).exists()


def test_it_plans_or_changes_no_appointment_on_a_case_whose_person_was_erased_meanwhile(
    active, alice, bob
):
    planned = services.plan_appointment(
        active, by=alice, data={"date": days_ago(-2), "kind": "meeting"}
    )
    planned = Appointment.objects.select_related("case__person").get(pk=planned.pk)
    loaded = _loaded_then_erased(active, alice, bob)
    with pytest.raises(ValidationError):
        services.plan_appointment(
            loaded, by=alice, data={"date": days_ago(-3), "kind": "meeting", "place": NOTE}
        )
    with pytest.raises(ValidationError):
        services.edit_appointment(
            planned,
            by=alice,
            data={"date": days_ago(-3), "kind": "meeting", "place": NOTE},
            expected_version=planned.version,
        )
    assert Appointment.objects.filter(case=active).count() == 1
    assert Appointment.objects.get(pk=planned.pk).place == ""


def test_it_records_no_assessment_or_reassessment_note_after_the_erasure(active, alice, bob):
    loaded = _loaded_then_erased(active, alice, bob)
    ratings = {"informed_decisions": 2, "engage_procedures": 3, "wellbeing": 2}
    with pytest.raises(ValidationError):
        services.record_assessment(
            loaded, by=alice, data={"date": days_ago(0), "needs": NOTE, **ratings}
        )
    with pytest.raises(ValidationError):
        services.request_reassessment(loaded, by=alice, trigger="crisis", note=NOTE)
    assert Assessment.objects.filter(case=active).count() == 1
    assert not ReassessmentRequest.objects.filter(case=active).exists()


def test_it_records_no_plan_review_after_the_erasure(active, alice, bob):
    plan = CasePlan.objects.select_related("case__person").get(case=active)
    erase_person(active.person, by=bob, reason="request")
    with pytest.raises(ValidationError):
        services.add_plan_review(plan, by=alice, date=days_ago(0), note=NOTE)
    assert not PlanReview.objects.exists()


def _partner_of(case):
    """A partner in the client's household, whose plans are in the client's case."""
    household = Household.objects.create(organisation=case.organisation)
    Case.objects.filter(pk=case.pk).update(household=household)
    Person.objects.filter(pk=case.person_id).update(household=household)
    case.refresh_from_db()
    return Person.objects.create(organisation=case.organisation, household=household,
                                 relationship="partner", given_name="Partner")  # fmt: skip


def test_it_records_no_plan_review_on_the_plan_of_an_erased_household_member(
    active, alice, bob, as_user
):
    """A member's plan is in the client's case, which the client's erasure alone closes to new
    notes (`_refuse_if_member_erased`, item 60): a review of the erased partner's agreed plan
    was taken, its note about her kept for good, and the plan page offered it."""
    plan = services.create_plan(active, by=alice, person=_partner_of(active))
    partner = plan.person
    services.add_goal(plan, by=alice, data={"area": "health", "description": "Counselling"})
    services.submit_plan(plan, by=alice)  # agreed at once: the case has an approved plan
    erase_person(partner, by=bob, reason="request")
    page = as_user(alice)
    assert 'name="note"' not in page.get(f"/cases/plans/{plan.pk}/").content.decode()
    response = page.post(
        f"/cases/plans/{plan.pk}/reviews/", {"date": days_ago(0).isoformat(), "note": NOTE}
    )
    assert response.status_code in (200, 302)
    assert not PlanReview.objects.filter(plan=plan).exists()


def test_it_writes_no_identity_back_over_an_erasure_made_meanwhile(active, alice, bob):
    """Erasure does not move the person's version: a correction sent from the page loaded
    before it wrote the name back, and its search tokens, over the erased identity."""
    loaded = _loaded_then_erased(active, alice, bob)
    with pytest.raises(ValidationError):
        services.update_identity(
            loaded,
            by=alice,
            data={"given_name": "Zzmaria", "family_name": "Zzpetrova"},
            expected_version=loaded.person.version,
        )
    person = Person.objects.get(pk=active.person_id)
    assert person.given_name != "Zzmaria" and person.erased_at is not None
    assert not SearchToken.objects.filter(person=person).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)
@pytest.mark.django_db(transaction=True)  # two connections see each other's commits
def test_a_contact_waits_for_an_erasure_under_way_then_is_refused(organisation, alice, bob):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    loaded = get_case_for_user(alice, case.pk, for_work=True)

    def log():
        return services.log_contact(
            loaded, by=alice, data={"date": days_ago(0), "type": "phone", "note": NOTE}
        )

    refused = waits_for(lambda: erase_person(case.person, by=bob, reason="request"), log)
    assert isinstance(refused, ValidationError)
    assert refused.messages == [str(workflow.ERASED)]
    assert not Contact.objects.filter(case=case).exists()


def _member_plan(case, alice):
    """An agreed plan of the client's partner, in the client's case, with a goal and an action."""
    partner = _partner_of(case)
    plan = services.create_plan(case, by=alice, person=partner)
    goal = services.add_goal(plan, by=alice, data={"area": "health", "description": "Counselling"})
    action = services.add_action(
        goal, by=alice, data={"description": "Book", "owner": "client", "due_date": days_ago(-7)}
    )
    assert action.status == Action.Status.OPEN
    services.submit_plan(plan, by=alice)  # agreed at once: the case has an approved plan
    return partner, goal, action


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_a_goal_for_a_members_plan_waits_for_the_members_erasure_then_is_refused(
    organisation, alice, bob
):
    """The member's erasure was read unlocked, and nothing else of a plan with no goal yet is
    locked by it: a goal sent while the erasure ran was added after it, about the member, for
    good. Locked in erasure's order, it waits, then is refused."""
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    partner = _partner_of(case)
    plan = services.create_plan(case, by=alice, person=partner)
    plan = CasePlan.objects.select_related("case__person").get(pk=plan.pk)

    def add():
        return services.add_goal(plan, by=alice, data={"area": "health", "description": NOTE})

    refused = waits_for(lambda: erase_person(partner, by=bob, reason="request"), add)
    assert isinstance(refused, ValidationError), refused
    assert not plan.goals.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_an_offline_actions_status_waits_for_the_members_erasure_then_is_refused(
    organisation, alice, bob
):
    """The phone's sync locked the case before the member: against an erasure under way it
    either deadlocked (a server error for one of them) or missed it. Locked in erasure's
    order, it waits, then is refused, and the action is as the erasure left it."""
    import uuid

    from engage.offline import services as offline

    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    partner, _goal, action = _member_plan(case, alice)

    def sync():
        return offline.apply_item(
            alice, key=uuid.uuid4(), kind="action_status", case_id=case.pk,
            base={"status": "open"}, data={"action": str(action.pk), "status": "done"},
            queued_at=None,
        )  # fmt: skip

    outcome = waits_for(lambda: erase_person(partner, by=bob, reason="request"), sync)
    assert not isinstance(outcome, Exception), outcome
    assert outcome.status == "refused"
    assert Action.objects.get(pk=action.pk).status == Action.Status.OPEN
