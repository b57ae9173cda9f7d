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
"""

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
        with purging(using), flushing():
            return super().handle(**options)
