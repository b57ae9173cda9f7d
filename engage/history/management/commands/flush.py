"""`flush`, which empties the whole database, may also empty the audit log and change history.

Those two tables refuse to be emptied (R23, issue 10 #6), and the test runner flushes the
database between transactional tests:

- SQLite: Django empties each table with DELETE, which their triggers refuse (and which would
  write a history row per deleted row). `flush` runs inside `purging()` (no history written)
  and `chain.flushing()` (the one permission to delete from them).
- PostgreSQL: Django empties tables with TRUNCATE, which a statement trigger on those two
  tables refuses. `flush` runs with `session_replication_role = replica`, which switches
  triggers off for the transaction and which only a superuser may set: the test database's
  role can, the application's role and the tables' owner cannot, so in production `flush`
  is refused there, as it should be.

On SQLite, emptying a table of case records also fires the triggers that keep what is derived
from them: the count of each case's writes (`mel_caserow`) and its organisation's rows
(`mel_organisationrows`). Django empties the tables in no set order (a set's, so it changes
with Python's hash seed): a record emptied after those tables but before its case wrote a row
for that case again, which the foreign keys then refused at the commit ("FOREIGN KEY
constraint failed", one hash seed in a few). So the tables are emptied again, in the same
transaction, until none holds a row.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import DatabaseError, connections, transaction

from engage.history.context import purging
from engage.lib.chain import flushing


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        using = options["database"]
        connection = connections[using]
        if connection.vendor == "postgresql":
            with transaction.atomic(using=using):
                try:
                    with transaction.atomic(using=using), connection.cursor() as cursor:
                        # nosemgrep: raw-sql
                        cursor.execute("SET LOCAL session_replication_role = replica")
                except DatabaseError as error:
                    raise CommandError(
                        "flush would empty the audit log and the change history, which only a "
                        f"database superuser may do ({error})."
                    ) from None
                return super().handle(**options)
        if connection.vendor != "sqlite":
            return super().handle(**options)
        ops = connection.ops
        ops.execute_sql_flush = _until_empty(ops.execute_sql_flush, connection)  # type: ignore[method-assign, assignment]
        try:
            with purging(using), flushing():
                return super().handle(**options)
        finally:
            del ops.execute_sql_flush  # back to the class's own


# A pass empties what the previous one's triggers wrote; the second finds nothing to write.
MOST_PASSES = 5


def _until_empty(
    execute: Callable[[Iterable[str]], None], connection: Any
) -> Callable[[Iterable[str]], None]:
    """`execute` (Django's flush statements) run again until a pass leaves every table empty,
    all in one transaction, so the foreign keys are checked once they are (docstring above)."""

    def execute_until_empty(statements: Iterable[str]) -> None:
        sql_list = list(statements)
        # The tables Django's statements empty (the same app registry decides both).
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        with transaction.atomic(using=connection.alias):
            for _ in range(MOST_PASSES):
                execute(sql_list)
                if not any_rows(connection, tables):
                    return
            raise CommandError(f"flush: rows were still written after {MOST_PASSES} passes")

    return execute_until_empty


def any_rows(connection: Any, tables: Iterable[str]) -> bool:
    """Whether any of `tables` holds a row, in one query."""
    quote = connection.ops.quote_name
    # Table names from the app registry, quoted; no value of anyone's in the text.
    anything = " OR ".join(f"EXISTS (SELECT 1 FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {anything or 0}")  # nosemgrep: raw-sql
        return bool(cursor.fetchone()[0])
