from typing import Any

from django.core.management.base import BaseCommand

from engage.lib.crypto import new_field_key, new_index_key


class Command(BaseCommand):
    help = "Print fresh encryption keys to put in the environment (they are not stored)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"ENGAGE_FIELD_KEYS={new_field_key()}")
        self.stdout.write(f"ENGAGE_INDEX_KEY={new_index_key()}")
        self.stdout.write(
            "Keep them out of the database and its backups. To rotate the field key, put the "
            "new key first in ENGAGE_FIELD_KEYS (the old one after it) and run "
            "`engage rotate_keys`; then the old key can go."
        )
