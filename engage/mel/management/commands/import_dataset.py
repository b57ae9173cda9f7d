from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engage.mel import services
from engage.mel.dataset.submission import InvalidSubmission


class Command(BaseCommand):
    help = (
        "Import a pilot's submission (a folder or a .zip). Any invalid row refuses the whole "
        "submission, with a report; otherwise the pilot's rows are replaced in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            counts = services.import_submission(path)
        except InvalidSubmission as refused:
            self.stderr.write(refused.report())
            raise CommandError("The submission was refused; nothing was stored.") from None
        self.stdout.write(
            "Imported: {added} added, {changed} changed, {unchanged} unchanged, "
            "{removed} removed.".format(**counts)
        )
