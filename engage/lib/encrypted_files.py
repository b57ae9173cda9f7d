"""Folders of encrypted files outside the web root: attached documents, uploaded spreadsheets.

Each file is named by its record's random id and holds a Fernet token of its bytes (the field
keys, `lib.crypto`), so `engage rotate_keys` re-encrypts them with the first key like the
encrypted fields. A file is written beside its final name and renamed, so a reader never sees
half of one.
"""

from pathlib import Path
from uuid import UUID

from django.conf import settings

from engage.lib import crypto
from engage.lib.private_files import private_folder, write_private


class EncryptedFolder:
    def __init__(self, setting: str) -> None:
        # The setting is read at each use, so a test's override_settings applies.
        self.setting = setting

    def folder(self) -> Path:
        # Its owner's only, files 0600 (lib.private_files): other local accounts see nothing.
        return private_folder(Path(getattr(settings, self.setting)))

    def path_for(self, record_id: UUID) -> Path:
        return self.folder() / record_id.hex

    def save(self, record_id: UUID, data: bytes) -> None:
        path = self.path_for(record_id)
        temporary = path.with_suffix(".part")
        write_private(temporary, crypto.encrypt_bytes(data))
        temporary.replace(path)

    def load(self, record_id: UUID) -> bytes:
        return crypto.decrypt_bytes(self.path_for(record_id).read_bytes())

    def delete(self, record_id: UUID) -> None:
        self.path_for(record_id).unlink(missing_ok=True)

    def reencrypt_all(self) -> int:
        """Re-encrypt every file with the first field key; return how many."""
        count = 0
        for path in self.folder().iterdir():
            if path.suffix == ".part":
                continue
            write_private(path, crypto.reencrypt_bytes(path.read_bytes()))
            count += 1
        return count
