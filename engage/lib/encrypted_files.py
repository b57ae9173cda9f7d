"""Encrypted files kept apart from the web root: attached documents, uploaded spreadsheets.

Each file is named by its record's random id and holds a Fernet token of its bytes (the field
keys, `lib.crypto`), so `engage rotate_keys` re-encrypts them with the first key like the
encrypted fields, and the place that keeps them only ever sees ciphertext.

Where they are kept is a Django storage named in `settings.STORAGES` ("documents", "imports";
docs/deployment.md). By default that is `PrivateFolderStorage`, a folder on this machine (or a
volume every web machine mounts); `ENGAGE_FILE_STORAGE` names another storage class, such as
django-storages' S3 for object storage, so that any number of web processes on any number of
machines read the same files.

A file is written before the transaction that adds its row commits (the row must never name a
file that is not there), so a transaction that rolls back leaves a file that no row names: an
erasure, which finds files by their rows, would never find it. Two things take such a file
away. A service that writes one does so inside `atomic()`, which deletes the files written in
it if it does not commit; and `EncryptedFolder.sweep` deletes every file no row names once it
is older than `ENGAGE_ORPHAN_FILE_MINUTES` (run daily with retention, and by `engage
sweep_files`), for a transaction rolled back further out than any service can see (a caller's
own block) or a process killed mid-way. Django has no hook on a rollback, hence both.
"""

import datetime
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from engage.lib import crypto
from engage.lib.private_files import private_folder, write_private


class PrivateFolderStorage(FileSystemStorage):
    """The folder named by a setting (read at each use, so a test's override applies), its
    owner's only with files 0600 (lib.private_files). A file is written beside its final name
    and renamed, so a reader never sees half of one, and saving under a name replaces it."""

    def __init__(self, *, setting: str) -> None:
        super().__init__()
        self.setting = setting

    @property
    def base_location(self) -> str:
        return str(private_folder(Path(getattr(settings, self.setting))))

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name

    def _save(self, name: str, content: File[bytes]) -> str:
        write_private(Path(self.path(name)), content.read())  # beside its name, then renamed
        return name

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        # Not a file still being written (`write_private`'s ".<name>.…"), nor one an earlier
        # version left half written (".part").
        folders, files = super().listdir(path)
        return folders, [f for f in files if not f.startswith(".") and not f.endswith(".part")]


logger = logging.getLogger(__name__)

# The files written inside each `atomic()` block open in this context, outermost first.
_written: ContextVar[tuple[list[tuple["EncryptedFolder", UUID]], ...]] = ContextVar(
    "encrypted_files_written", default=()
)
# Rows of ids looked up at once by the sweep.
_BATCH = 500


class EncryptedFolder:
    """The files of one storage, each named by the id of the row it belongs to.

    `rows` gives the rows that name a file: the sweep deletes the others. It reads ids only,
    across organisations (`_base_manager`, no scope): which of a list of random ids exist.
    """

    def __init__(self, alias: str, *, rows: Callable[[], "models.QuerySet[Any]"]) -> None:
        self.alias = alias
        self.rows = rows

    def storage(self) -> Storage:
        return storages[self.alias]

    def path_for(self, record_id: UUID) -> Path:
        """The file's path, for a storage on this machine's file system (tests, operators)."""
        return Path(self.storage().path(record_id.hex))

    def save(self, record_id: UUID, data: bytes) -> None:
        self._write(record_id.hex, crypto.encrypt_bytes(data))
        for written in _written.get():
            written.append((self, record_id))

    def load(self, record_id: UUID) -> bytes:
        with self.storage().open(record_id.hex, "rb") as file:
            return crypto.decrypt_bytes(file.read())

    def delete(self, record_id: UUID) -> None:
        self.storage().delete(record_id.hex)

    def reencrypt_all(self) -> int:
        """Re-encrypt every file with the first field key; return how many."""
        storage = self.storage()
        count = 0
        for name in storage.listdir("")[1]:
            with storage.open(name, "rb") as file:
                token = file.read()
            self._write(name, crypto.reencrypt_bytes(token))
            count += 1
        return count

    def sweep(self, now: datetime.datetime | None = None) -> int:
        """Delete the files no row names that are older than `ENGAGE_ORPHAN_FILE_MINUTES`;
        return how many.

        The margin spares the file of a transaction still open, whose row this cannot see yet:
        every transaction that writes a file is a request's or a service's, seconds long. A
        file with a row is never touched, nor one whose name is not a record's id (not ours).
        """
        now = now or timezone.now()
        limit = now - datetime.timedelta(minutes=settings.ENGAGE_ORPHAN_FILE_MINUTES)
        storage = self.storage()
        ids: dict[UUID, str] = {}
        for name in storage.listdir("")[1]:
            try:
                record_id = UUID(hex=name)
            except ValueError:
                continue
            if record_id.hex == name:
                ids[record_id] = name
        # The rows are read after the listing: a row committed meanwhile is seen, and its file
        # kept.
        named: set[UUID] = set()
        listed = list(ids)
        for start in range(0, len(listed), _BATCH):
            batch = listed[start : start + _BATCH]
            named.update(self.rows().filter(pk__in=batch).values_list("pk", flat=True))
        deleted = 0
        for record_id, name in ids.items():
            if record_id in named:
                continue
            try:
                if storage.get_modified_time(name) >= limit:
                    continue  # young: perhaps a transaction still open
                storage.delete(name)
            except FileNotFoundError:
                continue  # deleted meanwhile (its row's own deletion)
            deleted += 1
        return deleted

    def _write(self, name: str, token: bytes) -> None:
        storage = self.storage()
        if storage.get_available_name(name) != name:
            # A storage that would keep both under new names (not ours, nor S3's by default:
            # file_overwrite) loses the old one first; a reader may then miss it for a moment.
            storage.delete(name)
        storage.save(name, ContentFile(token))


@contextmanager
def atomic() -> Iterator[None]:
    """`transaction.atomic()` that deletes the encrypted files written inside it (by
    `EncryptedFolder.save`) if it does not commit, rather than leave them to the sweep.

    Left by an exception, the block's rows are gone: a savepoint rolled back, or the
    transaction (then checked, for a commit whose failure may hide a success: a connection
    lost at COMMIT). A rollback further out, after the block ended well, is the sweep's.
    """
    written: list[tuple[EncryptedFolder, UUID]] = []
    token = _written.set((*_written.get(), written))
    try:
        with transaction.atomic():
            yield
    except BaseException:
        _written.reset(token)
        _forget(written)
        raise
    _written.reset(token)


def _forget(written: list[tuple[EncryptedFolder, UUID]]) -> None:
    nested = connection.in_atomic_block
    for folder, record_id in written:
        try:
            if nested or not folder.rows().filter(pk=record_id).exists():
                folder.delete(record_id)
        except (DatabaseError, OSError):
            # The database or the storage not answering: the sweep deletes it later.
            logger.warning("A file of %s left to the sweep", folder.alias, exc_info=True)
