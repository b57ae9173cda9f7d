from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engage.lib.scoping import scopes_disabled
from engage.ops.backup import BackupError, default_output_dir, make_backup, new_backup_key


class Command(BaseCommand):
    help = (
        "Write an encrypted archive of the database (pg_dump on PostgreSQL, SQLite's backup "
        "API on SQLite) with ENGAGE_BACKUP_KEY, and remove the oldest archives beyond --keep."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output-dir", type=Path, help="Where archives go (default: DATA_DIR/backups)."
        )
        parser.add_argument(
            "--keep", type=int, default=14, help="How many archives to keep (default: 14)."
        )
        parser.add_argument(
            "--new-key", action="store_true", help="Print a fresh ENGAGE_BACKUP_KEY and stop."
        )

    # A job of the whole instance, across organisations: see engage.lib.scoping.
    @scopes_disabled()
    def handle(
        self, *args: Any, output_dir: Path | None, keep: int, new_key: bool, **options: Any
    ) -> None:
        if new_key:
            self.stdout.write(f"ENGAGE_BACKUP_KEY={new_backup_key()}")
            self.stdout.write(
                "Keep it apart from the archives and from ENGAGE_FIELD_KEYS/ENGAGE_INDEX_KEY."
            )
            return
        try:
            result = make_backup(output_dir or default_output_dir(), keep)
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(result.tables.values())
        self.stdout.write(
            f"Backed up the {result.vendor} database to {result.path} "
            f"({_size(result.size)}, {len(result.tables)} tables, {rows} rows), encrypted."
        )
        self.stdout.write(
            f"Removed {len(result.removed)} old archive(s), keeping the newest {keep}."
        )


def _size(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
