from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from engage.cases.search import reindex_everyone
from engage.documents import storage as documents
from engage.imports import storage as imports
from engage.lib.scoping import scopes_disabled

BATCH = 500


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the first key of ENGAGE_FIELD_KEYS and rebuild "
        "the search index with ENGAGE_INDEX_KEY. Safe to run again; run it after adding a key."
    )

    # A job of the whole instance, across organisations: see engage.lib.scoping.
    @scopes_disabled()
    def handle(self, *args: Any, **options: Any) -> None:
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            count = 0
            # Loading decrypts with whichever key fits; saving encrypts with the first key.
            # Only Engage's models have encrypted fields, and their one manager is `objects`,
            # so `_default_manager` is that one (as privacy.services says).
            rows = model._default_manager
            for batch in _batches(rows.only("pk", *fields).order_by("pk")):
                with transaction.atomic():
                    rows.bulk_update(batch, fields)
                count += len(batch)
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
        # The search index (engage.cases.search) hashed with ENGAGE_INDEX_KEY as it is now.
        people = reindex_everyone(BATCH)
        self.stdout.write(f"Search index rebuilt for {people} people.")
        self.stdout.write(f"{documents.reencrypt_all()} document files re-encrypted.")
        self.stdout.write(f"{imports.reencrypt_all()} uploaded spreadsheets re-encrypted.")


def _batches(queryset: models.QuerySet[models.Model]) -> Iterator[list[models.Model]]:
    batch: list[models.Model] = []
    for row in queryset.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
