from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from engage.accounts.models import Organisation
from engage.mel import services
from engage.mel.dataset import submission


class Command(BaseCommand):
    help = (
        "Remember what network submissions exported before Engage kept a memory of them sent "
        "(folders or .zip files, as downloaded), so that the next export contradicts none of "
        "them: the hub keeps every submission, and a value one hid that another shows is given "
        "back (docs/evidence.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pilot", required=True, help="The pilot's code, e.g. BG-CLA.")
        parser.add_argument("files", nargs="+", type=Path, help="Submissions sent before.")

    def handle(self, *args: Any, pilot: str, files: list[Path], **options: Any) -> None:
        organisation = Organisation.objects.filter(code=pilot).first()
        if organisation is None:
            raise CommandError(f"No pilot {pilot} on this instance.")
        read = []
        for path in files:
            try:
                read.append(submission.read(path))
            except submission.InvalidSubmission as refused:
                raise CommandError(f"{path}: nothing remembered.\n{refused.report()}") from None
        try:
            added = services.remember_sent(organisation, read)
        except ValidationError as refused:
            raise CommandError(" ".join(refused.messages)) from None
        self.stdout.write(f"{pilot}: {added} cases remembered from {len(read)} submissions.")
