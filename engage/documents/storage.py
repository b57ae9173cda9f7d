"""Where document bytes live: encrypted files in the data folder, never under the web root.

Each file is named by its document's random id and holds a Fernet token of the cleaned bytes;
`engage rotate_keys` re-encrypts them with the first key like the encrypted fields.
"""

from pathlib import Path

from django.conf import settings

from engage.lib import crypto


def _folder() -> Path:
    folder = Path(settings.ENGAGE_DOCUMENTS_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def path_for(document_id) -> Path:
    return _folder() / document_id.hex


def save(document_id, data: bytes) -> None:
    path = path_for(document_id)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(crypto.encrypt_bytes(data))
    temporary.replace(path)


def load(document_id) -> bytes:
    return crypto.decrypt_bytes(path_for(document_id).read_bytes())


def delete(document_id) -> None:
    path_for(document_id).unlink(missing_ok=True)


def reencrypt_all() -> int:
    count = 0
    for path in _folder().iterdir():
        if path.suffix == ".part":
            continue
        path.write_bytes(crypto.reencrypt_bytes(path.read_bytes()))
        count += 1
    return count
