"""Backups and the planner's statistics as background tasks (docs/tasks.md; the README says
how to back up)."""

from typing import Any

from django_tasks import task

from engage.lib import tasks as background
from engage.ops import statistics
from engage.ops.backup import default_output_dir, make_backup


@background.periodic("backup")
@task()
def backup(keep: int = 14, attempt: int = 1) -> dict[str, Any]:
    """Write an encrypted archive of the database into DATA_DIR/backups, keeping the newest
    `keep`; return where it went (`engage backup` does the same in the foreground). The
    backup's own refusals (`BackupError`: no key, a key reused, the database unreachable by
    pg_dump) fail at once, with the reason in `engage tasks`; the daily run is the retry."""

    def body() -> dict[str, Any]:
        result = make_backup(default_output_dir(), keep)
        return {"path": str(result.path), "size": result.size, "removed": len(result.removed)}

    return background.run_retried(backup, attempt, body, keep) or {"retried": attempt + 1}


@background.periodic("statistics")
@task()
def gather_statistics() -> dict[str, Any]:
    """Refresh SQLite's query planner statistics as the data grows (engage.ops.statistics);
    nothing to do on PostgreSQL, whose autovacuum does it."""
    return {"analysed": statistics.analyse()}
