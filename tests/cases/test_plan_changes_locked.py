"""A change to a plan waits for a closure approved at the same moment, or sees it: the case and
the plan are locked as stored first (`services.require_editable_plan(lock=True)`), as the
closure's approval locks the case. Before, an action set back to "to do" while the closure was
approved was written after it, and stayed open on the closed case (review probe).

PostgreSQL's test: SQLite has one writer and no row locks."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from engage.cases import services
from engage.cases.factories import CaseFactory, to_active
from engage.cases.models import Action, Case, Stage
from tests.cases.test_pending_proposals import SECONDS, _backend_pid, _blocked_by

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
    started, outcome, approver_pid = threading.Event(), [], []

    def approve():
        try:
            with scopes_disabled():
                approver_pid.append(_backend_pid())
                with connection.cursor() as cursor:
                    cursor.execute(f"SET lock_timeout = '{SECONDS}s'")
                started.set()
                services.review_closure(closure, by=bob, approve=True)
                outcome.append("approved")
        except Exception as error:  # reported by the assertion below
            outcome.append(error)
        finally:
            started.set()
            connection.close()

    thread = threading.Thread(target=approve)
    try:
        with transaction.atomic():
            action = Action.objects.get(pk=action.pk)
            services.set_action_status(
                action, by=alice, status="open", expected_version=action.version
            )  # not committed yet: the case stays locked
            own_pid = _backend_pid()
            thread.start()
            assert started.wait(SECONDS)
            deadline = time.monotonic() + SECONDS
            while not _blocked_by(approver_pid[0], own_pid):
                assert thread.is_alive(), f"the approval did not wait: {outcome}"
                assert time.monotonic() < deadline, "the approval is not waiting"
                time.sleep(0.05)
    finally:
        thread.join(SECONDS)
    assert outcome == ["approved"]
    assert Case.objects.get(pk=case.pk).stage == Stage.CLOSED
    assert Action.objects.get(pk=action.pk).status == Action.Status.CANCELLED
