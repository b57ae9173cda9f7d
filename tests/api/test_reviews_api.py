"""A supervisor approves or sends back a first plan or a closure through the API, as on the web."""

import pytest

from engage.cases import services
from engage.cases.factories import RATINGS, CaseFactory, days_ago, to_active, to_included
from engage.cases.models import Case
from engage.cases.models.process import ApprovalStatus
from engage.cases.sent_back import sent_back

pytestmark = pytest.mark.django_db

NOTE = "Add a goal on accommodation."


@pytest.fixture
def pending_plan(organisation, alice, bob):
    case = to_included(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    services.record_assessment(case, by=alice, data={"date": days_ago(2), **RATINGS})
    plan = services.create_plan(case, by=alice, person=case.person)
    services.add_goal(plan, by=alice, data={"area": "health", "description": "See a doctor"})
    services.submit_plan(plan, by=alice)
    return plan


@pytest.fixture
def pending_closure(organisation, alice, bob):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    return services.request_closure(
        case,
        by=alice,
        data={
            "date": days_ago(0),
            "reason": "transferred",
            "disengagement_factors": [],
        },
    )


def test_sending_back_without_a_note_is_refused_on_the_note(api, bob, pending_plan,
                                                            pending_closure):  # fmt: skip
    client = api(bob)
    for url in (
        f"/api/v1/plans/{pending_plan.pk}/review/",
        f"/api/v1/closures/{pending_closure.pk}/review/",
    ):
        response = client.post(url, {"decision": "send_back", "review_note": " "})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["fields"] == {"review_note": ["Say what needs to change before approval."]}
    pending_plan.refresh_from_db()
    assert pending_plan.status == "pending"


def test_a_plan_sent_back_reaches_the_case_manager(api, alice, bob, pending_plan):
    response = api(bob).post(
        f"/api/v1/plans/{pending_plan.pk}/review/", {"decision": "send_back", "review_note": NOTE}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "draft" and response.json()["review_note"] == NOTE
    entries = sent_back(Case.objects.filter(case_manager=alice))
    assert [(entry.kind, entry.note, entry.by) for entry in entries] == [("plan", NOTE, bob)]


def test_a_closure_is_approved(api, bob, pending_closure):
    response = api(bob).post(
        f"/api/v1/closures/{pending_closure.pk}/review/", {"decision": "approve"}
    )
    assert response.status_code == 200 and response.json()["status"] == ApprovalStatus.APPROVED
    pending_closure.case.refresh_from_db()
    assert pending_closure.case.stage == "closed"


def test_only_a_supervisor_of_the_case_reviews(api, alice, ada, charlie, pending_plan):
    for user in (alice, ada, charlie):
        response = api(user).post(
            f"/api/v1/plans/{pending_plan.pk}/review/", {"decision": "approve"}
        )
        assert response.status_code == 404, user


def test_it_takes_no_other_field(api, bob, pending_plan):
    response = api(bob).post(
        f"/api/v1/plans/{pending_plan.pk}/review/", {"decision": "approve", "status": "approved"}
    )
    assert response.status_code == 400
