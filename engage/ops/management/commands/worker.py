from typing import Any

from django_tasks.backends.database.management.commands import db_worker

from engage.lib.scoping import scopes_disabled


class Command(db_worker.Command):
    help = (
        "Run the background tasks queued in the database (imports, shares, retention, "
        "backups; docs/tasks.md). Run one or more beside the web server; --batch runs what "
        "is queued and stops."
    )

    # A job of the whole instance, across organisations: it runs the instance's jobs
    # (retention, backups, the shares' sweep) with the scopes off, and a task about one
    # organisation's records (an import, a share) enters that organisation's scope itself
    # (engage.lib.scoping).
    @scopes_disabled()
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
