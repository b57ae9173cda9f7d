"""Encrypted files kept apart from the web root: attached documents, uploaded spreadsheets.

Each file is named by its record's random id and holds a Fernet token of its bytes (the field
keys, `lib.crypto`), so `engage rotate_keys` re-encrypts them with the first key like the
encrypted fields, and the place that keeps them only ever sees ciphertext.

Where they are kept is a Django storage named in `settings.STORAGES` ("documents", "imports";
docs/deployment.md). By default that is `PrivateFolderStorage`, a folder on this machine (or a
volume every web machine mounts); `ENGAGE_FILE_STORAGE` names another storage class, such as
django-storages' S3 for object storage, so that any number of web processes on any number of
machines read the same files.
"""

from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages

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


class EncryptedFolder:
    def __init__(self, alias: str) -> None:
        self.alias = alias

    def storage(self) -> Storage:
        return storages[self.alias]

    def path_for(self, record_id: UUID) -> Path:
        """The file's path, for a storage on this machine's file system (tests, operators)."""
        return Path(self.storage().path(record_id.hex))

    def save(self, record_id: UUID, data: bytes) -> None:
        self._write(record_id.hex, crypto.encrypt_bytes(data))

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

    def _write(self, name: str, token: bytes) -> None:
        storage = self.storage()
        if storage.get_available_name(name) != name:
            # A storage that would keep both under new names (not ours, nor S3's by default:
            # file_overwrite) loses the old one first; a reader may then miss it for a moment.
            storage.delete(name)
        storage.save(name, ContentFile(token))
