"""Django's dumpdata, guarded: it writes every person's identity in clear text (R29).

The encrypted fields decrypt as they are read, so a dump holds names, contact details and notes
in plain text. Outside development it runs only when asked for explicitly, and each run is
written to the audit log.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.core.management.commands import dumpdata

from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.lib.scoping import scopes_disabled

FLAG = "--allow-personal-data"


class Command(dumpdata.Command):
    help = (
        "Output the contents of the database, personal data in clear text included. "
        f"Refused when DEBUG is off unless {FLAG} is given; every run is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            FLAG,
            action="store_true",
            dest="allow_personal_data",
            help="Dump although the output holds personal data in clear text (audited).",
        )

    # A job of the whole instance, across organisations: see engage.lib.scoping.
    @scopes_disabled()
    def handle(self, *app_labels: str, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_personal_data"]:
            raise CommandError(
                "dumpdata writes personal data (names, contact details, notes) in clear text. "
                f"Use `engage backup` for an encrypted backup, or give {FLAG} if a clear-text "
                "dump is really needed: the run is recorded in the audit log."
            )
        what = " ".join(app_labels) or "everything"
        record(None, AuditEvent.Action.EXPORT, None, detail=f"dumpdata {what}"[:200])
        output = options.get("output")
        if not output:
            super().handle(*app_labels, **options)
            return
        # Readable by its owner only, as `engage backup` and `decrypt_export` write theirs (under
        # the usual umask it was readable by every local user), and never opened at its path:
        # Django writes it in a folder of this run's own, then it takes the path's name, as
        # `lib.private_files.open_private` does for the other exports (docs/security.md, item
        # 41). A link planted there is replaced, not written through; a file another account
        # left there is replaced by ours, not written into and left theirs. Django picks the
        # compression by the name, so the file keeps it in that folder.
        target = Path(output)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".engage-dump-") as folder:
            super().handle(*app_labels, **{**options, "output": str(Path(folder, target.name))})
            for written in Path(folder).iterdir():  # one file, its name Django's choice
                written.chmod(0o600)
                os.replace(written, target.parent / written.name)
