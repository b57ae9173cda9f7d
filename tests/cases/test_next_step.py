"""What's next on a case: one rule (cases.next_step) over every stage and the common mixed states.

Each row builds a case through the services, as the people would, and says what comes next for
the case manager (Alice) and for her supervisor (Bob), and which page the button opens.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from engage.cases import services
from engage.cases.factories import (
    MEETING,
    RATINGS,
    REOPENING,
    SCREENING,
    CaseFactory,
    days_ago,
    to_active,
    to_included,
    to_screening,
)
from engage.cases.models import CasePlan
from engage.cases.next_step import Kind, next_step

pytestmark = pytest.mark.django_db


def _contact(case, by, days=1):
    services.log_contact(case, by=by, data={"date": days_ago(days), "type": "phone"})


def _met(case, alice, bob):
    """The first meeting recorded with consent: the case is in screening."""
    return to_screening(case, alice)


def _screened(case, alice, bob):
    to_screening(case, alice)
    services.save_screening(
        case, by=alice, data={"date": days_ago(185), **SCREENING}, expected_version=None
    )
    return case


def _inclusion_proposed(case, alice, bob):
    _screened(case, alice, bob)
    services.propose_inclusion(
        case, by=alice, include=True, date=days_ago(180), criteria_met=[], reason=""
    )
    return case


def _inclusion_sent_back(case, alice, bob):
    _inclusion_proposed(case, alice, bob)
    decision = case.inclusion_decisions.get()
    services.review_inclusion(decision, by=bob, approve=False, note="Tick the criteria met.")
    return case


def _included(case, alice, bob):
    to_included(case, alice, bob)
    _contact(case, alice)
    return case


def _assessed(case, alice, bob):
    _included(case, alice, bob)
    services.record_assessment(case, by=alice, data={"date": days_ago(2), **RATINGS})
    return case


def _draft_plan(case, alice, bob):
    _assessed(case, alice, bob)
    plan = services.create_plan(case, by=alice, person=case.person)
    services.add_goal(plan, by=alice, data={"area": "health", "description": "See a doctor"})
    return case


def _plan_pending(case, alice, bob):
    _draft_plan(case, alice, bob)
    services.submit_plan(case.plans.get(), by=alice)
    return case


def _plan_sent_back(case, alice, bob):
    _plan_pending(case, alice, bob)
    services.review_plan(case.plans.get(), by=bob, approve=False, note="Add a migration goal.")
    return case


def _active(case, alice, bob):
    """In the programme, in contact, assessed recently: nothing is due."""
    to_active(case, alice, bob)
    services.record_assessment(case, by=alice, data={"date": days_ago(3), **RATINGS})
    _contact(case, alice)
    return case


def _closure_requested(case, alice, bob):
    _active(case, alice, bob)
    services.request_closure(
        case,
        by=alice,
        data={"date": days_ago(0), "reason": "transferred", "disengagement_factors": []},
    )
    return case


def _closure_sent_back(case, alice, bob):
    _closure_requested(case, alice, bob)
    services.review_closure(
        case.closures.get(), by=bob, approve=False, note="They called yesterday: keep working."
    )
    return case


def _closed(case, alice, bob):
    _closure_requested(case, alice, bob)
    services.review_closure(case.closures.get(), by=bob, approve=True)
    case.refresh_from_db()
    return case


def _overdue(build):
    """The same state, with no contact for 30 days (the pilot's interval is 14)."""

    def overdue(case, alice, bob):
        build(case, alice, bob)
        case.contacts.all().delete()
        _contact(case, alice, days=30)
        return case

    overdue.__name__ = f"{build.__name__}_contact_overdue"
    return overdue


def _then(build, step):
    def both(case, alice, bob):
        build(case, alice, bob)
        step(case, alice, bob)
        return case

    both.__name__ = f"{build.__name__}_then_{step.__name__}"
    return both


def _no_consent(case, alice, bob):
    services.record_first_meeting(
        case, by=alice, data={"date": days_ago(190), **MEETING, "consent_given": False}
    )


def _decline_proposed(case, alice, bob):
    services.propose_inclusion(
        case, by=alice, include=False, date=days_ago(2), criteria_met=[], reason="Moved away"
    )


def _propose_again(case, alice, bob):
    services.propose_inclusion(
        case, by=alice, include=True, date=days_ago(1), criteria_met=[], reason=""
    )


def _resubmit_plan(case, alice, bob):
    services.submit_plan(case.plans.get(), by=alice)


def _keep_open(case, alice, bob):
    services.keep_case_open(case.closures.get(), by=alice)


def _ask_again(case, alice, bob):
    services.request_closure(
        case,
        by=alice,
        data={"date": days_ago(0), "reason": "transferred", "disengagement_factors": []},
    )


def _reassessment_requested(case, alice, bob):
    services.request_reassessment(case, by=alice, trigger="new_decision", note="Appeal refused")


def _plan_review_due(case, alice, bob):
    long_ago = timezone.now() - datetime.timedelta(days=200)
    CasePlan.objects.filter(case=case).update(approved_at=long_ago)


def _action_late(case, alice, bob):
    goal = case.plans.get().goals.first()
    services.add_action(
        goal,
        by=alice,
        data={
            "description": "Call the lawyer",
            "owner": "client",
            "due_date": days_ago(3),
        },
    )


def _reopen(case, alice, bob):
    services.reopen(
        case,
        by=alice,
        referral={"referral_date": days_ago(0), **REOPENING},
    )


def _declined(case, alice, bob):
    _decline_proposed(case, alice, bob)
    services.review_inclusion(case.inclusion_decisions.get(), by=bob, approve=True)
    case.refresh_from_db()
    return case


def _referral(case, alice, bob):
    return case


# (how the case is built, what Alice is told, the page her button opens or None,
#  what Bob is told, the page his button opens or None)
ROWS = [
    # Before inclusion: the process in order
    (_referral, Kind.FIRST_MEETING, "cases:first_meeting", Kind.FIRST_MEETING, "cases:first_meeting"),
    (_then(_referral, _no_consent), Kind.CONSENT_MISSING, "cases:first_meeting", Kind.CONSENT_MISSING, "cases:first_meeting"),
    (_then(_referral, _decline_proposed), Kind.INCLUSION_PENDING, None, Kind.INCLUSION_PENDING, "cases:inclusion_review"),
    (_met, Kind.SCREENING, "cases:screening", Kind.SCREENING, "cases:screening"),
    (_screened, Kind.PROPOSE_INCLUSION, "cases:inclusion", Kind.PROPOSE_INCLUSION, "cases:inclusion"),
    (_inclusion_proposed, Kind.INCLUSION_PENDING, None, Kind.INCLUSION_PENDING, "cases:inclusion_review"),
    (_inclusion_sent_back, Kind.INCLUSION_SENT_BACK, "cases:inclusion", Kind.INCLUSION_SENT_BACK, "cases:inclusion"),
    (_then(_inclusion_sent_back, _propose_again), Kind.INCLUSION_PENDING, None, Kind.INCLUSION_PENDING, "cases:inclusion_review"),
    # Before inclusion, a referral not yet met is not "out of contact": the meeting is the contact
    (_overdue(_screened), Kind.PROPOSE_INCLUSION, "cases:inclusion", Kind.PROPOSE_INCLUSION, "cases:inclusion"),
    # Included: assessment, then the plan, until a supervisor approves the first
    (_included, Kind.FIRST_ASSESSMENT, "cases:assessment_create", Kind.FIRST_ASSESSMENT, "cases:assessment_create"),
    (_assessed, Kind.PLAN_NEEDED, "cases:plan_create", Kind.PLAN_NEEDED, "cases:plan_create"),
    (_draft_plan, Kind.PLAN_DRAFT, "cases:plan_detail", Kind.PLAN_DRAFT, "cases:plan_detail"),
    (_plan_pending, Kind.PLAN_PENDING, None, Kind.PLAN_PENDING, "cases:plan_detail"),
    (_plan_sent_back, Kind.PLAN_SENT_BACK, "cases:plan_detail", Kind.PLAN_SENT_BACK, "cases:plan_detail"),
    (_then(_plan_sent_back, _resubmit_plan), Kind.PLAN_PENDING, None, Kind.PLAN_PENDING, "cases:plan_detail"),
    # Risk before paperwork: a client out of contact comes first
    (_overdue(_included), Kind.CONTACT_OVERDUE, "cases:contact_create", Kind.CONTACT_OVERDUE, "cases:contact_create"),
    (_overdue(_plan_sent_back), Kind.CONTACT_OVERDUE, "cases:contact_create", Kind.CONTACT_OVERDUE, "cases:contact_create"),
    (_overdue(_plan_pending), Kind.CONTACT_OVERDUE, "cases:contact_create", Kind.CONTACT_OVERDUE, "cases:contact_create"),
    (_overdue(_active), Kind.CONTACT_OVERDUE, "cases:contact_create", Kind.CONTACT_OVERDUE, "cases:contact_create"),
    # Active: what is due, else regular contact
    (_active, Kind.KEEP_IN_CONTACT, "cases:contact_create", Kind.KEEP_IN_CONTACT, "cases:contact_create"),
    (_then(_active, _reassessment_requested), Kind.REASSESSMENT, "cases:assessment_create", Kind.REASSESSMENT, "cases:assessment_create"),
    (_then(_active, _plan_review_due), Kind.PLAN_REVIEW, "cases:plan_detail", Kind.PLAN_REVIEW, "cases:plan_detail"),
    (_then(_active, _action_late), Kind.ACTIONS, "cases:plan_detail", Kind.ACTIONS, "cases:plan_detail"),
    # Closure: waiting beats everything but the end; sent back until acted on
    (_closure_requested, Kind.CLOSURE_PENDING, None, Kind.CLOSURE_PENDING, "cases:closure_review"),
    (_overdue(_closure_requested), Kind.CLOSURE_PENDING, None, Kind.CLOSURE_PENDING, "cases:closure_review"),
    (_closure_sent_back, Kind.CLOSURE_SENT_BACK, None, Kind.CLOSURE_SENT_BACK, None),
    (_then(_closure_sent_back, _keep_open), Kind.KEEP_IN_CONTACT, "cases:contact_create", Kind.KEEP_IN_CONTACT, "cases:contact_create"),
    (_then(_closure_sent_back, _ask_again), Kind.CLOSURE_PENDING, None, Kind.CLOSURE_PENDING, "cases:closure_review"),
    # The end
    (_closed, Kind.REOPEN, "cases:reopen", Kind.REOPEN, "cases:reopen"),
    (_declined, Kind.DECLINED, "cases:reopen", Kind.DECLINED, "cases:reopen"),
    (_then(_closed, _reopen), Kind.REOPENED, None, Kind.REOPENED, None),
]  # fmt: skip


def _url_name(step):
    if not step.url:
        return None
    from django.urls import resolve

    return f"cases:{resolve(step.url.split('#')[0]).url_name}"


@pytest.mark.parametrize(
    ("build", "for_alice", "alice_page", "for_bob", "bob_page"),
    ROWS,
    ids=[row[0].__name__ for row in ROWS],
)
def test_it_tells_what_comes_next(
    build, for_alice, alice_page, for_bob, bob_page, organisation, alice, bob
):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    case = build(case, alice, bob) or case
    case.refresh_from_db()
    for user, kind, page in ((alice, for_alice, alice_page), (bob, for_bob, bob_page)):
        step = next_step(case, user)
        assert (step.kind, _url_name(step)) == (kind, page), user
        assert str(step.reason)
        assert bool(step.label) == bool(step.url)


def test_the_case_page_button_follows_it(as_user, organisation, alice, bob):
    case = _plan_sent_back(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    body = as_user(alice).get(f"/cases/{case.pk}/").content.decode()
    button = body.split('class="next-button"', 1)[1].split("</p>", 1)[0]
    assert reverse("cases:plan_detail", args=[case.plans.get().pk]) in button
    assert "Revise the case plan" in button
    assert "Add a migration goal." in body  # the note, beside it


def test_an_organisation_admin_is_told_the_step_without_a_button(organisation, alice, bob, ada):
    case = _assessed(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    step = next_step(case, ada)
    assert step.kind == Kind.PLAN_NEEDED and not step.url and not step.label


def test_it_reads_a_prefetched_case_without_more_queries(
    organisation, alice, bob, django_assert_num_queries
):
    from engage.cases.due import due_items, with_due_facts
    from engage.cases.models import Case
    from engage.cases.timeline import prefetch_for_timeline

    case = _plan_sent_back(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    # With its person, as the case page and the offline bundle load it (whether they were
    # erased decides what is left to do: `workflow.person_erased`).
    case = prefetch_for_timeline(Case.objects.select_related("person").get(pk=case.pk))
    today = timezone.localdate()
    due = due_items(with_due_facts(Case.objects.filter(pk=case.pk), today).get(), today)
    # The supervisor who sent the plan back, named beside the note: the one query.
    with django_assert_num_queries(1):
        assert next_step(case, alice, due=due, today=today).kind == Kind.PLAN_SENT_BACK
