"""`flush`, which empties the whole database, may also empty the change history.

On SQLite Django empties each table with DELETE, which the history's triggers refuse (and
which would write a history row per deleted row). The test runner flushes between
transactional tests, so `flush` runs inside `purging()`. PostgreSQL empties tables with
TRUNCATE, which row triggers do not see, so nothing is needed there.
"""

from django.core.management.commands import flush
from django.db import connections

from engage.history.context import purging


class Command(flush.Command):
    def handle(self, **options):
        if connections[options["database"]].vendor != "sqlite":
            return super().handle(**options)
        with purging(options["database"]):
            return super().handle(**options)
