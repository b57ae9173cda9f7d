"""Who is acting, told to the database so that its triggers can write it into the history.

The triggers (see `triggers.py`) run inside the database, where the request is unknown. The
application keeps the acting user and the request id in a context variable (set for each
request by `HistoryContextMiddleware`, or by `acting()` around a service call), and passes them
on only when a statement writes to a table with personal data, so plain reads cost nothing:

- SQLite: application-defined SQL functions `engage_actor()`, `engage_request()` and
  `engage_purging()`, registered on every connection, return the context variable's values
  when the trigger calls them. No query at all.
- PostgreSQL: transaction-local settings (`set_config('engage.actor', …, true)`), which the
  trigger reads with `current_setting`. An execute wrapper sets them right before the first
  write to a tracked table in each transaction (one extra statement per such transaction;
  a write outside any transaction is wrapped in one so that the setting and the write share
  it). Transaction-local means a pooled connection never carries one request's user into the
  next, even when a request fails half-way.

With no context (management commands, scheduled jobs) the actor is null: the system.
"""

import contextlib
import contextvars
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse

from engage.history import triggers

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from engage.accounts.models import User


@dataclass
class Context:
    """The acting user, found lazily: the user is loaded only if the request writes."""

    request: HttpRequest | None = None
    user: "User | None" = None
    request_id: str = ""
    _actor: str | None = field(default=None, init=False)
    _resolved: bool = field(default=False, init=False)

    def resolve(self) -> tuple[str | None, str]:
        """Return (actor id as 32 hex digits or None, request id)."""
        if not self._resolved:
            user: User | AnonymousUser | None = self.user
            if user is None and self.request is not None:
                user = getattr(self.request, "user", None)
            if user is not None and getattr(user, "is_authenticated", False):
                self._actor = uuid.UUID(str(user.pk)).hex
            self._resolved = True
        return self._actor, self.request_id

    def resolved(self) -> tuple[str | None, str]:
        """The values as last resolved, without touching the database (for SQLite functions)."""
        return (self._actor, self.request_id) if self._resolved else (None, self.request_id)


_current: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "engage_history_context", default=None
)
_purging: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "engage_history_purging", default=False
)


@contextlib.contextmanager
def acting(user: "User | None", *, request_id: str = "") -> Iterator[None]:
    """Attribute the changes made inside to `user` (for services run outside a request)."""
    token = _current.set(Context(user=user, request_id=request_id))
    try:
        yield
    finally:
        _current.reset(token)


class HistoryContextMiddleware:
    """Make the signed-in user and the request id the context of every change of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(
            Context(request=request, request_id=getattr(request, "request_id", ""))
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


@contextlib.contextmanager
def purging(using: str = "default") -> Iterator[None]:
    """Let history rows be deleted, and write none, inside (erasure and `flush` only).

    On PostgreSQL this must run inside a transaction: the permission is transaction-local and
    ends with it even if the block fails.
    """
    connection = connections[using]
    outer = _purging.get()
    on_postgresql = connection.vendor == "postgresql" and not outer
    if on_postgresql and not connection.in_atomic_block:
        raise RuntimeError("purging() needs a transaction on PostgreSQL")
    token = _purging.set(True)
    try:
        if on_postgresql:
            with connection.cursor() as cursor:
                # nosemgrep: raw-sql
                cursor.execute("SELECT set_config('engage.purging', 'on', true)")
        yield
    finally:
        if on_postgresql and connection.in_atomic_block:
            with connection.cursor() as cursor:
                # nosemgrep: raw-sql
                cursor.execute("SELECT set_config('engage.purging', '', true)")
        _purging.reset(token)


# -- wiring into the connections -------------------------------------------------------------

WRITES = ("INSERT", "UPDATE", "DELETE")
# (actor id or None, request id), as `Context.resolve` gives them.
Values = tuple[str | None, str]
# The next step of a connection's execute wrappers (`connection.execute_wrapper`).
Execute = Callable[[str, Any, bool, dict[str, Any]], Any]
SET_CONTEXT = "SELECT set_config('engage.actor', %s, true), set_config('engage.request', %s, true)"


def _writes_tracked_table(sql: str) -> bool:
    return sql.lstrip()[:6].upper() in WRITES and any(t in sql for t in triggers.tracked_tables())


class _Marker:
    """An on-commit callback that does nothing; its presence says what this transaction holds.

    Django drops the callbacks of a transaction when it rolls back, and those of a savepoint
    when the savepoint rolls back: exactly when PostgreSQL forgets a transaction-local
    setting made there. So the last marker in `run_on_commit` tells which context the
    database holds now, without asking it.
    """

    def __init__(self, values: Values) -> None:
        self.values = values

    def __call__(self) -> None:
        pass


def _values_in_transaction(connection: BaseDatabaseWrapper) -> Values:
    # Each entry is (savepoint ids, callback, robust); django-stubs knows only the first two.
    for entry in reversed(connection.run_on_commit):
        callback = entry[1]
        if isinstance(callback, _Marker):
            return callback.values
    return (None, "")


def _postgresql_wrapper(
    execute: Execute, sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    if not _writes_tracked_table(sql):
        return execute(sql, params, many, context)
    ctx = _current.get()
    values = ctx.resolve() if ctx is not None else (None, "")
    connection = context["connection"]
    if connection.in_atomic_block:
        if _values_in_transaction(connection) != values:
            _set_context(values, execute, many, context)
            connection.on_commit(_Marker(values))
        return execute(sql, params, many, context)
    if values == (None, ""):
        return execute(sql, params, many, context)
    with transaction.atomic(using=connection.alias):
        _set_context(values, execute, many, context)
        return execute(sql, params, many, context)


def _set_context(
    values: tuple[str | None, str], execute: Execute, many: bool, context: dict[str, Any]
) -> None:
    params = [values[0] or "", values[1]]
    if not many:
        execute(SET_CONTEXT, params, False, context)
        return
    # `execute` is an executemany's, which would take each parameter as a row: the setting
    # is one statement of its own, on the same cursor. It reads and writes no record (the
    # transaction's actor and request, as on the line above), so nothing the rule guards.
    with context["connection"].wrap_database_errors:
        context["cursor"].cursor.execute(SET_CONTEXT, params)  # nosemgrep: raw-sql


def _sqlite_wrapper(
    execute: Execute, sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    # Resolve the user before the statement: the SQL functions run inside it and must not
    # query the database themselves.
    ctx = _current.get()
    if ctx is not None and _writes_tracked_table(sql):
        ctx.resolve()
    return execute(sql, params, many, context)


def _sqlite_actor() -> str | None:
    ctx = _current.get()
    return ctx.resolved()[0] if ctx is not None else None


def _sqlite_request() -> str:
    ctx = _current.get()
    return ctx.request_id if ctx is not None else ""


def _sqlite_purging() -> int:
    return int(_purging.get())


def prepare_connection(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """On each new connection: SQL functions (SQLite) and the execute wrapper (both)."""
    if connection.vendor == "sqlite":
        raw = connection.connection
        raw.create_function("engage_actor", 0, _sqlite_actor)
        raw.create_function("engage_request", 0, _sqlite_request)
        raw.create_function("engage_purging", 0, _sqlite_purging)
        wrapper = _sqlite_wrapper
    elif connection.vendor == "postgresql":
        wrapper = _postgresql_wrapper
    else:
        return
    # The wrapper object outlives reconnections: add the wrapper once.
    if wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(wrapper)
