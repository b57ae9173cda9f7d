"""A change to a plan waits for a closure approved at the same moment, or sees it: the case and
the plan are locked as stored first (`services.require_editable_plan(lock=True)`), as the
closure's approval locks the case. Before, an action set back to "to do" while the closure was
approved was written after it, and stayed open on the closed case (review probe).

PostgreSQL's test: SQLite has one writer and no row locks."""

import pytest
from django.db import connection
from django.utils import timezone

from engage.cases import services
from engage.cases.factories import CaseFactory, to_active
from engage.cases.models import Action, Case, Stage
from tests.row_locks import waits_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)


@pytest.mark.django_db(transaction=True)  # two connections see each other's commits
def test_a_closure_approved_meanwhile_waits_then_cancels_the_action_set_to_do(
    organisation, alice, bob
):
    case, plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    action = Action.objects.get(goal__plan=plan)
    services.set_action_status(action, by=alice, status="done", expected_version=action.version)
    closure = services.request_closure(
        case,
        by=alice,
        data={"date": timezone.localdate(), "reason": "transferred", "disengagement_factors": []},
    )
    action = Action.objects.get(pk=action.pk)

    def set_to_do():  # not committed until the closure's approval waits on the case
        services.set_action_status(action, by=alice, status="open", expected_version=action.version)

    def approve():
        services.review_closure(closure, by=bob, approve=True)
        return "approved"

    assert waits_for(set_to_do, approve) == "approved"
    assert Case.objects.get(pk=case.pk).stage == Stage.CLOSED
    assert Action.objects.get(pk=action.pk).status == Action.Status.CANCELLED
