import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from engage.lib.scoping import scopes_disabled
from engage.privacy.services import apply_retention


class Command(BaseCommand):
    help = (
        "Erase the identity of people whose last case ended longer ago than their "
        "organisation keeps identifying data. Idempotent: run it daily from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, help="Pretend today is this date."
        )

    # A job of the whole instance, across organisations: see engage.lib.scoping.
    @scopes_disabled()
    def handle(self, *args: Any, today: datetime.date | None = None, **options: Any) -> None:
        done = apply_retention(today)
        for code, count in done.items():
            self.stdout.write(f"{code}: {count} person(s) erased")
        self.stdout.write(f"Retention applied: {sum(done.values())} person(s) erased in all.")
