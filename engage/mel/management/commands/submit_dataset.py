import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from engage.accounts.models import Organisation
from engage.mel import hub
from engage.mel.dataset.submission import MONTH

TOKEN_VARIABLE = "ENGAGE_SUBMISSION_TOKEN"  # noqa: S105 (the variable's name)


class Command(BaseCommand):
    help = (
        "Export this pilot's network submission and send it to the hub over HTTPS with the "
        "submission token the network coordinator made for it; print the hub's verdict."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hub", required=True, help="The hub's address, https://...")
        parser.add_argument(
            "--token-file",
            type=Path,
            help=f"A file holding the submission token (or set {TOKEN_VARIABLE}).",
        )
        parser.add_argument("--pilot", help="The pilot's code (needed with several pilots here).")
        parser.add_argument("--period-end", help="YYYY-MM (default: the current month).")

    def handle(
        self,
        *args: Any,
        token_file: Path | None,
        pilot: str | None,
        period_end: str | None,
        **options: Any,
    ) -> None:
        hub_address = options["hub"]
        period_end = period_end or timezone.localdate().strftime("%Y-%m")
        if not MONTH.match(period_end):
            raise CommandError("--period-end must be a month, YYYY-MM.")
        if token_file is not None:
            token = token_file.read_text(encoding="utf-8").strip()
        else:
            token = os.environ.get(TOKEN_VARIABLE, "").strip()
        if not token:
            raise CommandError(f"Give the token with --token-file or {TOKEN_VARIABLE}.")
        pilots = Organisation.objects.order_by("code")
        if pilot:
            pilots = pilots.filter(code=pilot)
        if len(pilots) != 1:
            raise CommandError("Name the pilot with --pilot (one pilot of this instance).")
        try:
            verdict = hub.submit(pilots[0], period_end, hub=hub_address, token=token)
        except hub.HubRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(json.dumps(verdict.body, indent=2, ensure_ascii=False))
        if not verdict.accepted:
            raise CommandError(f"The hub refused the submission ({verdict.status}).")
        self.stdout.write(f"Accepted by the hub: {verdict.body.get('imported')}.")
