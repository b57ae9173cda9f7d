from argparse import ArgumentParser
from typing import Any

from django_tasks.backends.database.management.commands import db_worker

from engage.lib.scoping import scopes_disabled


class Command(db_worker.Command):
    help = (
        "Run the background tasks queued in the database (imports, shares, retention, "
        "backups; docs/tasks.md). Run one or more beside the web server; --batch runs what "
        "is queued and stops."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # Every queue unless told (db_worker's own default is the `default` queue only, which
        # would leave the reports' PDFs, on `documents`, waiting for a worker of their own).
        parser.set_defaults(queue_name="*")

    # A job of the whole instance, across organisations: it runs the instance's jobs
    # (retention, backups, the shares' sweep) with the scopes off, and a task about one
    # organisation's records (an import, a share) enters that organisation's scope itself
    # (engage.lib.scoping).
    @scopes_disabled()
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
