"""Background tasks (docs/tasks.md): queued in the database, run by `engage worker`."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django_tasks.backends.database.models import DBTaskResult

from engage.cases.factories import CaseFactory
from engage.privacy.tasks import apply_retention
from engage.sharing import tasks as sharing_tasks
from tests.contexts import in_no_scope

# The worker's transaction on SQLite is BEGIN EXCLUSIVE, which cannot run inside a test's
# transaction: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def test_it_runs_a_task_queued_in_the_database_with_the_worker(alice, charlie, worker):
    CaseFactory(organisation=alice.organisation, case_manager=alice)
    CaseFactory(organisation=charlie.organisation, case_manager=charlie)
    result = apply_retention.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "READY" and row.task_path == "engage.privacy.tasks.apply_retention"
    worker()  # with no scope set: the worker switches them off for instance jobs itself
    row.refresh_from_db()
    assert row.status == "SUCCEEDED", row.traceback
    assert row.return_value == {alice.organisation.code: 0, charlie.organisation.code: 0}
    assert row.started_at and row.finished_at and row.worker_ids


def test_enqueue_queues_the_periodic_tasks_for_the_worker(alice, worker):
    out = io.StringIO()
    in_no_scope(call_command, "enqueue", "shares", stdout=out)
    task_id = re.search(r"Queued shares: (\S+)", out.getvalue()).group(1)
    assert DBTaskResult.objects.get(pk=task_id).status == "READY"
    worker()
    row = DBTaskResult.objects.get(pk=task_id)
    assert row.status == "SUCCEEDED"
    assert row.return_value == {"produced": 0, "cancelled": 0, "voided": 0}
    listing = io.StringIO()
    call_command("tasks", stdout=listing)
    assert f"{task_id}  tasks.sweep_shares" in listing.getvalue()
    assert "SUCCEEDED" in listing.getvalue()


def test_a_task_failing_for_a_moment_is_tried_again_then_reported_failed(
    alice, worker, settings, monkeypatch
):
    from django.db import OperationalError

    settings.ENGAGE_TASK_RETRY_SECONDS = 0  # the next attempt is ready at once
    calls = []

    def not_answering():
        calls.append(1)
        raise OperationalError("could not connect to server")

    # A fault injected where the database would fail; the queue, worker and retries are real.
    monkeypatch.setattr("engage.sharing.services.void_lapsed", not_answering)
    result = sharing_tasks.sweep_shares.enqueue()
    worker()
    rows = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert len(calls) == settings.ENGAGE_TASK_ATTEMPTS == 3
    assert [row.status for row in rows] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    assert str(rows[0].pk) == result.id and rows[0].return_value == {"retried": 2}
    assert [row.args_kwargs["kwargs"] for row in rows] == [{}, {"attempt": 2}, {"attempt": 3}]
    assert rows[2].exception_class_path == "django.db.utils.OperationalError"
    failed = io.StringIO()
    call_command("tasks", "--failed", stdout=failed)
    assert f"{rows[2].pk}  tasks.sweep_shares" in failed.getvalue()
    assert "OperationalError" in failed.getvalue()


def test_a_failure_that_would_fail_again_is_not_retried(alice, worker, monkeypatch):
    def broken():
        raise ValueError("a bug")

    monkeypatch.setattr("engage.sharing.services.void_lapsed", broken)
    sharing_tasks.sweep_shares.enqueue()
    worker()
    assert [row.status for row in DBTaskResult.objects.all()] == ["FAILED"]


ENGAGE = Path(__file__).resolve().parents[2] / "engage"


def test_no_thread_is_started_anywhere_in_engage():
    """No thread of a web process does work that must survive it: work is a task."""
    allowed: set[str] = set()
    found = {
        str(path.relative_to(ENGAGE))
        for path in ENGAGE.rglob("*.py")
        if re.search(r"\bthreading\b|\bThread\(|concurrent\.futures", path.read_text())
    }
    assert found == allowed
