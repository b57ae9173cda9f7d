from typing import Any

from django.core.management.base import BaseCommand

from engage.lib.scoping import scopes_disabled
from engage.sharing.services import produce_queued, void_lapsed


class Command(BaseCommand):
    help = (
        "Produce the queued shares, checking consent again first (a withdrawn or expired "
        "consent cancels them), and void the prepared shares whose consent lapsed. Safe to "
        "run at any time, e.g. every minute from cron."
    )

    # A job of the whole instance, across organisations: see engage.lib.scoping.
    @scopes_disabled()
    def handle(self, *args: Any, **options: Any) -> None:
        counts = produce_queued()
        voided = void_lapsed()
        self.stdout.write(
            f"{counts['produced']} share(s) produced, {counts['cancelled']} cancelled, "
            f"{voided} voided as their consent lapsed."
        )
