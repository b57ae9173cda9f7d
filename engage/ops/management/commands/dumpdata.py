"""Django's dumpdata, guarded: it writes every person's identity in clear text (R29).

The encrypted fields decrypt as they are read, so a dump holds names, contact details and notes
in plain text. Outside development it runs only when asked for explicitly, and each run is
written to the audit log.
"""

import os
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
        if output := options.get("output"):
            # Readable by its owner only, as `engage backup` and `decrypt_export` write theirs:
            # made (or narrowed) before Django opens it, which keeps the file's mode. Under the
            # usual umask it was readable by every local user.
            os.close(os.open(output, os.O_WRONLY | os.O_CREAT, 0o600))
            os.chmod(output, 0o600)
        super().handle(*app_labels, **options)
