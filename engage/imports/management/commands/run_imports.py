from typing import Any

from django.core.management.base import BaseCommand

from engage.imports import services
from engage.lib.scoping import scopes_disabled


class Command(BaseCommand):
    help = (
        "Store the queued imports that no worker took (each in one transaction, in its "
        "organisation's scope), run again those a stopped worker left half-way, and delete the files of imports "
        "older than ENGAGE_IMPORT_KEEP_DAYS. Safe to run at any time, e.g. every minute."
    )

    # A job of the whole instance, across organisations: it finds the jobs unscoped and runs
    # each in the scope of its own organisation (engage.lib.scoping).
    @scopes_disabled()
    def handle(self, *args: Any, **options: Any) -> None:
        jobs = services.run_pending()
        expired = services.expire_files()
        stored = sum(1 for job in jobs if job.status == job.Status.DONE)
        again = sum(1 for job in jobs if job.status == job.Status.QUEUED)
        self.stdout.write(
            f"{stored} import(s) stored, {len(jobs) - stored - again} refused, {again} queued "
            f"again after a temporary error, {expired} file(s) expired."
        )
