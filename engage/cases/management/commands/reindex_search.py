from typing import Any

from django.core.management.base import BaseCommand

from engage.cases.search import reindex_everyone
from engage.lib.scoping import scopes_disabled


class Command(BaseCommand):
    help = (
        "Rebuild every person's search tokens (docs/search-index.md) with ENGAGE_INDEX_KEY as "
        "it is now. Migrations run it when the rules change, and `engage rotate_keys` after a "
        "new index key; safe to run again."
    )

    @scopes_disabled()
    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Search index rebuilt for {reindex_everyone()} people.")
