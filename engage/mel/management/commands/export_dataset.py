from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from engage.accounts.models import Organisation
from engage.mel import services
from engage.mel.submission import MONTH


class Command(BaseCommand):
    help = "Write each pilot's network dataset submission (cases.csv and manifest.json)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, help="Folder to write into.")
        parser.add_argument("--pilot", help="One pilot's code (default: every pilot here).")
        parser.add_argument("--period-end", help="YYYY-MM (default: the current month).")
        parser.add_argument(
            "--linkage-key-file",
            type=Path,
            help="The network's key for this reporting round (person_ref stays empty without).",
        )

    def handle(self, *args, out: Path, pilot, period_end, linkage_key_file, **options):
        period_end = period_end or timezone.localdate().strftime("%Y-%m")
        if not MONTH.match(period_end):
            raise CommandError("--period-end must be a month, YYYY-MM.")
        key = None
        if linkage_key_file is not None:
            try:
                key = linkage_key_file.read_bytes().strip()
            except OSError as error:
                raise CommandError(f"Cannot read the linkage key: {error}") from None
            if len(key) < 16:
                raise CommandError("The linkage key is too short (16 bytes at least).")
        pilots = Organisation.objects.order_by("code")
        if pilot:
            pilots = pilots.filter(code=pilot)
            if not pilots:
                raise CommandError(f"No pilot {pilot} on this instance.")
        several = pilots.count() > 1
        for organisation in pilots:
            folder = out / organisation.code if several else out
            manifest = services.export(organisation, folder, period_end, linkage_key=key)
            self.stdout.write(f"{organisation.code}: {manifest['rows']} rows in {folder}")
