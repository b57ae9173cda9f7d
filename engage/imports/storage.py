"""Where uploaded spreadsheets wait: encrypted files in the data folder, never under the web
root, like attached documents (`documents.storage`). Deleted when the import is stored or
discarded, and by `engage run_imports` after `ENGAGE_IMPORT_KEEP_DAYS` days."""

from pathlib import Path

from django.conf import settings

from engage.lib import crypto


def _folder() -> Path:
    folder = Path(settings.ENGAGE_IMPORTS_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def path_for(job_id) -> Path:
    return _folder() / job_id.hex


def save(job_id, data: bytes) -> None:
    path = path_for(job_id)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(crypto.encrypt_bytes(data))
    temporary.replace(path)


def load(job_id) -> bytes:
    return crypto.decrypt_bytes(path_for(job_id).read_bytes())


def delete(job_id) -> None:
    path_for(job_id).unlink(missing_ok=True)


def reencrypt_all() -> int:
    count = 0
    for path in _folder().iterdir():
        if path.suffix == ".part":
            continue
        path.write_bytes(crypto.reencrypt_bytes(path.read_bytes()))
        count += 1
    return count
