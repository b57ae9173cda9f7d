from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from engage.accounts.models import Organisation
from engage.mel import services
from engage.mel.dataset.submission import MONTH


class Command(BaseCommand):
    help = (
        "Write each pilot's network dataset submission (cases.csv and manifest.json), "
        "suppressed until every group of quasi-identifiers has 5 rows or more."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="Folder to write into.")
        parser.add_argument("--pilot", help="One pilot's code (default: every pilot here).")
        parser.add_argument("--period-end", help="YYYY-MM (default: the current month).")

    def handle(
        self, *args: Any, out: Path, pilot: str | None, period_end: str | None, **options: Any
    ) -> None:
        # person_ref is keyed with the pilot's open linkage round (entered on the web page
        # Evidence → Linkage round), and stays empty without one: no key is taken here.
        period_end = period_end or timezone.localdate().strftime("%Y-%m")
        if not MONTH.match(period_end):
            raise CommandError("--period-end must be a month, YYYY-MM.")
        pilots = Organisation.objects.order_by("code")
        if pilot:
            pilots = pilots.filter(code=pilot)
            if not pilots:
                raise CommandError(f"No pilot {pilot} on this instance.")
        several = pilots.count() > 1
        for organisation in pilots:
            folder = out / organisation.code if several else out
            manifest = services.export(organisation, folder, period_end)
            self.stdout.write(
                f"{organisation.code}: {manifest['rows']} rows in {folder} "
                f"(k {manifest['k_anonymity']}, {manifest['suppressed']} values suppressed, "
                f"{manifest['withheld']} rows withheld)"
            )
