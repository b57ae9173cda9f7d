from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from engage.mel.services import purge_submissions


class Command(BaseCommand):
    help = (
        "At the network hub: delete the pilots' submissions (and their rows) imported longer "
        "ago than ENGAGE_NETWORK_RETENTION_MONTHS. Idempotent: run it daily from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_submissions()
        months = settings.ENGAGE_NETWORK_RETENTION_MONTHS
        self.stdout.write(f"{count} submission(s) older than {months} months deleted.")
