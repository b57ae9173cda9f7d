"""Encryption of identifying fields at rest, and keyed blind indexes to search them.

The cryptography is `cryptography`'s: Fernet (AES-128-CBC with HMAC-SHA256, a random IV per
value) and MultiFernet for key rotation; HMAC-SHA256 for the blind index. What is written by hand
here is only the Django glue, because the field libraries we looked at
(django-fernet-encrypted-fields, django-cryptography) derive their keys from `SECRET_KEY` and
hand back the ciphertext as if it were the value when decryption fails. Engage needs keys of
their own from the environment (kept out of the database and its backups), rotation by command
(`engage rotate_keys`), and a loud failure when a key is wrong.

Keys: `ENGAGE_FIELD_KEYS` is a comma-separated list of Fernet keys, the first one encrypts and
all of them decrypt; `ENGAGE_INDEX_KEY` keys the blind index. A development instance without
them gets random keys in a file beside its data folder (`ENGAGE_DEV_KEY_FILE`), created once.
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import unicodedata
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# A key file's name: a `Path` in the settings, a text in tests.
KeyFile = str | os.PathLike[str]


class DecryptionError(Exception):
    """A value could not be decrypted with any configured key."""


def new_field_key() -> str:
    return Fernet.generate_key().decode()


def new_index_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@cache
def _keys() -> tuple[tuple[str, ...], bytes]:
    field_keys = tuple(settings.ENGAGE_FIELD_KEYS or ())
    index_key = settings.ENGAGE_INDEX_KEY or ""
    if not field_keys or not index_key:
        path = settings.ENGAGE_DEV_KEY_FILE
        if path is None:
            raise ImproperlyConfigured("ENGAGE_FIELD_KEYS and ENGAGE_INDEX_KEY must be set.")
        stored = _development_keys(path)
        field_keys = field_keys or (stored["field"],)
        index_key = index_key or stored["index"]
    return field_keys, base64.urlsafe_b64decode(index_key)


def _development_keys(path: KeyFile) -> dict[str, str]:
    legacy = getattr(settings, "ENGAGE_DEV_KEY_LEGACY_FILE", None)
    if legacy is not None and os.path.exists(legacy) and legacy != path:
        _move_out_of_data_folder(legacy, path)
    if not os.path.exists(path):
        _make_development_keys(path)
    status = os.stat(path)
    # Refuse keys someone else could have planted or read (a file in a shared folder).
    if status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise ImproperlyConfigured(
            f"{path} must belong to you and be readable by you only (chmod 600)."
        )
    with open(path) as file:
        keys: dict[str, str] = json.load(file)
    return keys


def _make_development_keys(path: KeyFile) -> None:
    """Write new development keys to `path`, unless another process is doing so at once.

    Two processes starting together on a new machine (`make demo`'s server and worker, the
    bench's generator) both find no file. The keys are written whole to a file of this
    process's own, which is then linked into place: exactly one process's keys win, and the
    other reads them, never a file half written.
    """
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    descriptor, written = tempfile.mkstemp(dir=folder, prefix=".keys-")  # mode 0600
    try:
        with os.fdopen(descriptor, "w") as file:
            json.dump({"field": new_field_key(), "index": new_index_key()}, file)
        os.link(written, path)
    except FileExistsError:
        return  # another process's keys, whole
    finally:
        os.unlink(written)
    logger.warning("Development encryption keys were made in %s.", path)


def _move_out_of_data_folder(legacy: KeyFile, path: KeyFile) -> None:
    """Move the key file older versions kept beside the database to `path` (issue 10 #19)."""
    with open(legacy) as file:
        keys = json.load(file)
    if os.path.exists(path):
        with open(path) as file:
            if json.load(file) != keys:
                raise ImproperlyConfigured(
                    f"Two different development key files: {legacy} and {path}. Keep the one "
                    "your database was encrypted with at the second place, delete the first."
                )
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(keys, file)
    os.unlink(legacy)
    logger.warning("Development encryption keys moved out of the data folder, to %s.", path)


@cache
def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in _keys()[0]])
    except ValueError as error:
        raise ImproperlyConfigured(f"ENGAGE_FIELD_KEYS holds an invalid key: {error}") from None


def reset_keys() -> None:
    """Forget the loaded keys (after the settings changed, in tests and key rotation)."""
    _keys.cache_clear()
    _fernet.cache_clear()


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def is_token(value: str) -> bool:
    """Whether `value` is a Fernet token at all (its version byte, 0x80, base64-encoded), as
    every encrypted value is, whichever key made it; clear text of a person never starts so."""
    return value.startswith("gAAAAA")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored value cannot be decrypted with any key in ENGAGE_FIELD_KEYS."
        ) from None


def encrypt_bytes(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken:
        raise DecryptionError("A stored file cannot be decrypted with any key.") from None


def reencrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().rotate(token)
    except InvalidToken:
        raise DecryptionError("A stored file cannot be decrypted for rotation.") from None


def reencrypt(token: str) -> str:
    """Return `token` encrypted with the first key (MultiFernet.rotate)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("A stored value cannot be decrypted for rotation.") from None


def normalise(text: str) -> str:
    """Case, accents and spacing do not matter in a search: `  Élodie ` finds `elodie`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain).strip()


def name_tokens(*names: str) -> set[str]:
    return {token for name in names for token in re.split(r"[\s\-']+", normalise(name)) if token}


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def blind_index(kind: str, value: str) -> str:
    """The keyed hash of a normalised value: equal values match, and nothing else is revealed
    to someone without the index key (an unkeyed hash of a name could be guessed by trying
    names)."""
    message = f"{kind}:{value}".encode()
    return hmac.new(_keys()[1], message, hashlib.sha256).hexdigest()
