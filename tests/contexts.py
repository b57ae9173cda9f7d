"""Calling code as a job or a request starts: with no organisation scope and the settings'
language, whatever the test around it has set."""

import contextvars
from collections.abc import Callable
from typing import Any

from django.utils import translation
from django_scopes.state import state as scope_state


def in_no_scope(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call `function` with no scope set at all (tests otherwise run with scopes switched off,
    tests/conftest.py) and the settings' language.

    In a copy of this context, not an empty one. django-scopes and Django's translation keep
    their state in context variables, which the copy resets; but once a browser test has
    started Playwright, whose event loop then runs in this thread for the rest of the worker's
    session, Django keeps the thread's database connection per context too (asgiref's
    thread-critical Local), and in an empty context the code opened a second connection,
    outside the test's transaction: it found none of the test's rows, and left the connection
    open so that the test database could not be dropped (a PostgreSQL CI run).
    """

    def started() -> Any:
        scope_state.set(None)
        translation.deactivate()
        return function(*args, **kwargs)

    return contextvars.copy_context().run(started)
