"""The approval queue: how long each item has waited, how many criteria an inclusion meets, and
after a decision the next item ("approve and next"), or the queue with a message once empty."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engage.cases import services
from engage.cases.approvals import queue
from engage.cases.factories import SCREENING, CaseFactory, days_ago, to_screening
from engage.cases.models import EligibilityCriterion, InclusionDecision

pytestmark = pytest.mark.django_db


def _proposed(organisation, alice, *, met=(), waited_days=0, name=None):
    case = CaseFactory(organisation=organisation, case_manager=alice,
                       **({"person__given_name": name} if name else {}))  # fmt: skip
    to_screening(case, alice)
    services.save_screening(
        case, by=alice, data={"date": days_ago(185), **SCREENING}, expected_version=None
    )
    decision = services.propose_inclusion(
        case,
        by=alice,
        include=True,
        date=days_ago(0),
        criteria_met=met,
        reason="Two criteria are met; the others will be once housed.",
    )
    waited = timezone.now() - datetime.timedelta(days=waited_days)
    InclusionDecision.objects.filter(pk=decision.pk).update(created_at=waited)
    decision.refresh_from_db()
    return decision


@pytest.fixture
def criteria(organisation):
    return [
        EligibilityCriterion.objects.create(organisation=organisation, text=text, position=n)
        for n, text in enumerate(("At risk of detention", "Consents", "Lives here", "We can help"))
    ]


def test_it_shows_how_long_each_item_waited_and_the_criteria_met(
    as_user, organisation, alice, bob, criteria
):
    _proposed(organisation, alice, met=[criteria[0].pk, criteria[2].pk], waited_days=3)
    body = as_user(bob).get("/cases/approvals/").content.decode()
    assert "waiting 3 days" in body
    assert "2 of 4 criteria met" in body


def test_it_lists_the_longest_waiting_first(as_user, organisation, alice, bob):
    _proposed(organisation, alice, waited_days=1, name="Recent")
    _proposed(organisation, alice, waited_days=9, name="Oldest")
    _proposed(organisation, alice, waited_days=0, name="Today")
    body = as_user(bob).get("/cases/approvals/").content.decode()
    assert body.index("Oldest") < body.index("Recent") < body.index("Today")
    assert "waiting since today" in body and "waiting 1 day" in body


def test_approve_and_next_opens_the_next_item(as_user, organisation, alice, bob):
    first = _proposed(organisation, alice, waited_days=5)
    second = _proposed(organisation, alice, waited_days=2)
    client = as_user(bob)
    response = client.post(
        f"/cases/decisions/{first.pk}/", {"decision": "approve", "review_note": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/decisions/{second.pk}/"
    response = client.post(
        f"/cases/decisions/{second.pk}/",
        {"decision": "reject", "review_note": "Tick the criteria."},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/cases/approvals/"
    body = response.content.decode()
    assert "Nothing else is waiting for your approval." in body
    assert "Sent back with your note." in body


def test_after_the_last_item_it_starts_over_with_one_skipped(as_user, organisation, alice, bob):
    skipped = _proposed(organisation, alice, waited_days=5)
    decided = _proposed(organisation, alice, waited_days=2)
    response = as_user(bob).post(
        f"/cases/decisions/{decided.pk}/", {"decision": "approve", "review_note": ""}
    )
    assert response["Location"] == f"/cases/decisions/{skipped.pk}/"


def test_approving_a_plan_goes_on_to_the_next_item(as_user, organisation, alice, bob):
    from tests.cases.test_sent_back import _pending_plan

    plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    decision = _proposed(organisation, alice, waited_days=0)
    response = as_user(bob).post(
        f"/cases/plans/{plan.pk}/approval/", {"decision": "approve", "review_note": ""}
    )
    assert response["Location"] == f"/cases/decisions/{decision.pk}/"


def test_a_supervisor_does_not_see_what_they_proposed(organisation, alice, bob):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    services.propose_inclusion(
        case, by=bob, include=False, date=days_ago(0), criteria_met=[], reason="Moved away"
    )
    assert queue(bob) == []


def test_another_organisations_items_never_show(organisation, other_organisation, alice, bob,
                                                 charlie):  # fmt: skip
    from engage.accounts.factories import UserFactory
    from engage.accounts.models import Role

    _proposed(other_organisation, charlie, waited_days=1)
    other_supervisor = UserFactory(organisation=other_organisation, role=Role.SUPERVISOR)
    assert queue(bob) == []
    assert queue(other_supervisor) == []  # not their team's case either


def test_its_query_count_does_not_grow_with_the_queue(as_user, organisation, alice, bob):
    from tests.cases.test_sent_back import _pending_closure, _pending_plan

    client = as_user(bob)
    _proposed(organisation, alice)
    with CaptureQueriesContext(connection) as small:
        client.get("/cases/approvals/")
    for _n in range(3):
        _proposed(organisation, alice)
        _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
        _pending_closure(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    with CaptureQueriesContext(connection) as big:
        body = client.get("/cases/approvals/").content.decode()
    assert body.count('class="queue-item"') == 10
    assert len(big) == len(small)


def test_the_supervisors_dashboard_counts_the_cases_the_queue_holds(
    as_user, organisation, alice, bob
):
    # One inclusion proposed by the case manager waits for Bob; one he proposed himself waits
    # for another supervisor: his button says 1, as his queue does.
    _proposed(organisation, alice)
    case = CaseFactory(organisation=organisation, case_manager=alice)
    services.propose_inclusion(
        case, by=bob, include=False, date=days_ago(0), criteria_met=[], reason="Moved away"
    )
    assert len(queue(bob)) == 1
    body = as_user(bob).get("/").content.decode()
    assert "1 case waiting for approval" in body
