"""The query planner's statistics on SQLite (issue 17).

SQLite plans a query from `sqlite_stat1`, which only `ANALYZE` fills. Without it the planner
guesses, and at the size of a national programme it guessed wrong: the caseload read the whole
organisation's cases through the organisation's index instead of the case manager's (172 ms
against 37 ms once analysed). PostgreSQL's autovacuum gathers its statistics by itself.

- Each connection runs `PRAGMA optimize=0x10002` when it opens, SQLite's recommendation for
  long-lived connections from 3.46 on: it analyses any table whose statistics are missing or
  out of date. `analysis_limit` keeps that to a sample of each index, so it costs
  milliseconds, not a scan of millions of contacts.
- Older SQLite (3.40 in Debian 12's Python) ignores the 0x10000 bit and never analyses a table
  that has no statistics yet, so `migrate` analyses the database once (`analyse`, connected to
  `post_migrate`) and the daily `engage enqueue statistics` task does it again as the data grows.
- Those two read every index whole (no `analysis_limit`). A sample of 400 rows cannot tell how
  many cases an organisation has once it has more than that: at 100,000 clients it put 401 cases
  in each organisation instead of 14,358, and the planner read a supervisor's approval queue
  through the organisation's cases (8 ms a query against 1 ms; docs/performance.md). Reading
  the indexes whole took 2 to 5 s of the daily task at that size.
"""

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# Rows sampled per index: SQLite's own suggestion for `PRAGMA optimize`, enough to tell a
# case manager's few cases from an organisation's thousands.
ANALYSIS_LIMIT = 400


def optimize_on_open(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Let SQLite refresh the planner's statistics of a connection it opens (connection_created)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("PRAGMA optimize=0x10002")


def analyse(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Gather the planner's statistics of every table of an SQLite database; return whether it
    did (PostgreSQL's autovacuum does it there)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=0")  # every row: counts per key that hold at scale
        cursor.execute("ANALYZE")
    return True


def analyse_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    analyse(using)
