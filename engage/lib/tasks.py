"""What every background task of Engage shares (django-tasks; docs/tasks.md).

A task is a row of the database backend's table until `engage worker` runs it, so it is
queued in the same transaction as the change that asked for it: a request that rolls back
queues nothing, and one that commits cannot lose its task.

django-tasks runs a task once and records a failure; it does not retry. A task of Engage
that meets a temporary failure (the database or the network not answering) queues itself
again, as its next attempt, after `ENGAGE_TASK_RETRY_SECONDS` doubled at each attempt, up to
`ENGAGE_TASK_ATTEMPTS` attempts in all; the last failure is the task's, and whoever asked
for the work sees it (an import's page says it was not imported).
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import Task, TaskResult

# Failures worth another attempt later. Anything else (a refused row, a bug) would fail the
# same way again.
TRANSIENT: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
)


def is_transient(error: BaseException) -> bool:
    return isinstance(error, TRANSIENT)


def may_retry(attempt: int) -> bool:
    """Whether a task that failed at `attempt` (1 for the first run) may run again."""
    return attempt < settings.ENGAGE_TASK_ATTEMPTS


def retry_delay(attempt: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.ENGAGE_TASK_RETRY_SECONDS * 2 ** (attempt - 1))


def enqueue_again(task: Task[..., Any], attempt: int, *args: Any, **kwargs: Any) -> TaskResult[Any]:
    """Queue `task` again as attempt `attempt + 1`, to run after the delay of `attempt`."""
    if not connection.in_atomic_block:
        # A connection the failure broke is replaced rather than failing this too.
        connection.close_if_unusable_or_obsolete()
    later = task.using(run_after=timezone.now() + retry_delay(attempt))
    return later.enqueue(*args, attempt=attempt + 1, **kwargs)


def run_retried(task: Task[..., Any], attempt: int, body: Any, *args: Any, **kwargs: Any) -> Any:
    """Run `body()` for `task` called with `args`/`kwargs` at `attempt`; on a temporary
    failure with attempts left, queue the task again and return None, else let it fail."""
    try:
        return body()
    except TRANSIENT:
        if not may_retry(attempt):
            raise
        enqueue_again(task, attempt, *args, **kwargs)
        return None


# The instance's periodic tasks by name, for `engage enqueue <name>` from cron. Each app
# registers its own (`@periodic("retention")` over the task), so the command imports none.
_PERIODIC: dict[str, Task[..., Any]] = {}


def periodic(name: str) -> Callable[[Task[..., Any]], Task[..., Any]]:
    def register(task: Task[..., Any]) -> Task[..., Any]:
        _PERIODIC[name] = task
        return task

    return register


def periodic_tasks() -> dict[str, Task[..., Any]]:
    """Return the periodic tasks of every installed app (their `tasks` modules)."""
    autodiscover_modules("tasks")
    return dict(sorted(_PERIODIC.items()))
