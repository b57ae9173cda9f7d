from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engage.lib.scoping import scopes_disabled
from engage.ops.backup import BackupError, Database, restore


class Command(BaseCommand):
    help = (
        "Restore an archive of `engage backup` into a database (by default the configured "
        "one), then check row counts against the archive and that people decrypt."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--database-url", help="Restore into this database instead of the configured one."
        )
        parser.add_argument(
            "--yes", action="store_true", help="Replace the contents of a non-empty database."
        )

    # A job of the whole instance, across organisations: see engage.lib.scoping.
    @scopes_disabled()
    def handle(
        self, *args: Any, archive: Path, database_url: str | None, yes: bool, **options: Any
    ) -> None:
        if not archive.is_file():
            raise CommandError(f"No archive at {archive}.")
        try:
            target = Database.from_url(database_url) if database_url else Database.default()
            result = restore(archive, target, replace=yes)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {archive} (made {result.manifest['created_at']}) into the "
            f"{target.describe()}."
        )
        for check in result.checks:
            self.stdout.write(f"{'ok' if check.ok else 'FAILED'}: {check.name}: {check.detail}")
        failed = [check for check in result.checks if not check.ok]
        if failed:
            raise CommandError(f"{len(failed)} smoke check(s) failed after the restore.")
        self.stdout.write("All smoke checks passed.")
