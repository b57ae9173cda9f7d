"""Files only Engage's own system user can read: 0600 files in 0700 folders (issue 10 #19).

The SQLite database, attached documents and uploaded spreadsheets are encrypted where it
matters, but a file another local account can read is a copy waiting to be made (of the
ciphertext, of the names of the files, of the database's unencrypted columns). Umasks differ
between machines, so the modes are set explicitly, and corrected on folders and files made
earlier with looser ones.
"""

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def _tighten(path: Path, mode: int) -> None:
    """Give `path` exactly `mode` if it is ours and more open than that."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    if status.st_uid == os.getuid() and stat.S_IMODE(status.st_mode) & ~mode:
        path.chmod(mode)


def private_folder(path: Path) -> Path:
    """Make `path` (and missing parents) a folder only its owner can enter; return it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    _tighten(path, FOLDER_MODE)
    return path


def private_file(path: Path) -> None:
    """Create `path` empty if missing, readable and writable by its owner only."""
    path = Path(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    _tighten(path, FILE_MODE)


def tighten_file(path: Path) -> None:
    """Make an existing file readable and writable by its owner only, without opening it.

    For a file another library has open, SQLite's database above all: closing any descriptor
    of a file drops every POSIX lock this process holds on it, and another process would then
    take the database for unused and delete its -wal and -shm files under our connections
    ("disk I/O error", lost writes)."""
    _tighten(Path(path), FILE_MODE)


@contextmanager
def open_private(path: Path, mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """Write `path` anew (`mode` "w" or "wb"), readable by its owner only, as a whole or not at
    all.

    For files written piece by piece, often where others can write too (an operator's export
    under /tmp): the data goes to a new file made beside `path` (`mkstemp`: created by this
    call, 0600, never through a link), which then takes `path`'s name. So a link planted at
    `path` is replaced, not written through; a file another account left there is replaced by
    ours, not written into; and a failed write leaves what was there before."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, mode, **options) as file:
            yield file
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` (replacing it), readable by its owner only (`open_private`)."""
    with open_private(path, "wb") as file:
        file.write(data)
