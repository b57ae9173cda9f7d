import signal

import pytest
from django.core.management import call_command

from tests.contexts import in_no_scope


def run_worker(*queues: str) -> None:
    """Run `engage worker` in this process over what is queued (and ready), then stop: the real
    database backend and worker code, started as cron or systemd would, with no scope set. On
    every queue, as `engage worker` runs, or on the `queues` named (a test of a report that
    does not look at its PDF leaves the PDF's task on `documents`)."""
    arguments = ["--batch", "--no-reload", "--no-startup-delay"]
    if queues:
        arguments += ["--queue-name", ",".join(queues)]
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    kept = [signal.getsignal(number) for number in signals]
    try:
        in_no_scope(call_command, "worker", *arguments, verbosity=0)
    finally:
        # The worker takes these signals for its graceful stop; give them back to pytest.
        for number, handler in zip(signals, kept, strict=True):
            signal.signal(number, handler)


@pytest.fixture
def worker():
    return run_worker


def run_queued_tasks() -> list:
    """Call the task of every queued row with its stored arguments, in the test's transaction
    (for tests that are not transactional, where the worker cannot run); return the values.
    `run_worker` is the worker itself."""
    from django_tasks.backends.database.models import DBTaskResult

    values = []
    for row in DBTaskResult.objects.filter(status="READY").order_by("enqueued_at"):
        arguments = row.args_kwargs
        values.append(row.task.call(*arguments["args"], **arguments["kwargs"]))
        row.delete()
    return values
