from typing import Any

from django.core.management.base import BaseCommand

from engage.privacy.services import sweep_orphan_files


class Command(BaseCommand):
    help = (
        "Delete the encrypted files of documents and uploaded spreadsheets that no row names "
        "(their transaction rolled back), once older than ENGAGE_ORPHAN_FILE_MINUTES. The daily "
        "retention does it too; this is for an operator at a terminal."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for kind, count in sweep_orphan_files().items():
            self.stdout.write(f"{kind}: {count} file(s) no row names deleted")
