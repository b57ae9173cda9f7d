"""Two connections at once, for the tests of PostgreSQL's row locks: what one transaction holds
makes another wait, then the other goes on once the first commits.

SQLite lets one writer at a time and has no row locks (Django leaves FOR UPDATE out there), so
the tests that use this run on PostgreSQL only (`DATABASE_URL=postgres://...`)."""

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django_scopes import scopes_disabled

SECONDS = 10  # long enough for a slow machine, short enough not to hang the suite


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _blocked_by(pid: int, blocker: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s = ANY(pg_blocking_pids(%s))", [blocker, pid])
        return cursor.fetchone()[0]


def waits_for(first: Callable[[], Any], second: Callable[[], Any]) -> Any:
    """Run `first` in a transaction of this connection and, before it commits, `second` on a
    connection of its own; check that `second` waits on a lock `first` holds, then let `first`
    commit. Return what `second` returned, or the exception it raised."""
    started, outcome, second_pid = threading.Event(), [], []

    def run_second() -> None:
        # Its own connection (Django's are per thread), and no organisation scope, as the
        # tests' own set-up (tests/conftest.py).
        try:
            with scopes_disabled():
                second_pid.append(backend_pid())
                with connection.cursor() as cursor:
                    cursor.execute(f"SET lock_timeout = '{SECONDS}s'")
                started.set()
                outcome.append(second())
        except Exception as error:  # given back to the test, which says what it expects
            outcome.append(error)
        finally:
            started.set()
            connection.close()

    thread = threading.Thread(target=run_second)
    try:
        with transaction.atomic():
            first()  # not committed yet: what it locked stays locked
            first_pid = backend_pid()
            thread.start()
            assert started.wait(SECONDS)
            deadline = time.monotonic() + SECONDS
            while not _blocked_by(second_pid[0], first_pid):
                assert thread.is_alive(), f"the second did not wait: {outcome}"
                assert time.monotonic() < deadline, "the second is not waiting"
                time.sleep(0.05)
            assert outcome == []  # still waiting, as the first commits
    finally:
        thread.join(SECONDS)
    assert not thread.is_alive()
    (result,) = outcome
    return result
