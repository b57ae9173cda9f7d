from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engage.mel import services
from engage.mel.dataset.submission import InvalidSubmission


class Command(BaseCommand):
    help = (
        "Import a pilot's submission (a folder or a .zip). Any invalid row refuses the whole "
        "submission, with a report; otherwise the pilot's rows are replaced in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            counts = services.import_submission(path)
        except InvalidSubmission as refused:
            self.stderr.write(refused.report())
            raise CommandError("The submission was refused; nothing was stored.") from None
        self.stdout.write(
            "Imported: {added} added, {changed} changed, {unchanged} unchanged, "
            "{removed} removed.".format(**counts)
        )
