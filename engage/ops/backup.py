"""Encrypted backups of the database, and their restore with smoke checks (R39).

Encryption is `cryptography`'s Fernet, already used for the fields (`engage.lib.crypto`), rather
than age or gpg: one fewer binary to install and keep on the server. `ENGAGE_BACKUP_KEY` is a
comma-separated list of Fernet keys like `ENGAGE_FIELD_KEYS`: the first encrypts, all decrypt,
so archives made before a change of key still restore.

An archive is a short plaintext header, then length-prefixed Fernet frames:

    header     b"ENGAGEBK" | format version (1 byte) | vendor length (1 byte) | vendor (ASCII)
               | archive id (16 random bytes)
    frame      length (4 bytes, big-endian) | Fernet token, base64-decoded (a quarter smaller)
    plaintext  archive id (16) | sequence number (8) | kind (1) | payload

The first frame is the manifest (JSON: format, vendor, time, row count of every table), then
the dump in frames of 1 MiB (so a dump of any size streams through without being held in
memory), then an end frame with the number of bytes. Fernet's HMAC refuses a changed byte; the
archive id and the sequence numbers refuse frames dropped, reordered, taken from another archive
or cut off at the end. The vendor is in the plaintext header so that restore refuses an archive
of another database engine before asking anything of the key; the manifest repeats it,
authenticated. The key is never written to the archive.

PostgreSQL is dumped with `pg_dump --format=custom` from a snapshot exported by the transaction
that counts the rows, so the manifest describes exactly the dumped data even while Engage keeps
writing. SQLite is copied with SQLite's own backup API and the rows are counted in the copy.
"""

import base64
import datetime
import fcntl
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

import dj_database_url
import psycopg
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

from engage.cases.models import Person
from engage.lib import crypto
from engage.lib.fields import EncryptedMixin

MAGIC = b"ENGAGEBK"
FORMAT_VERSION = 1
CHUNK = 2**20
# A frame is a chunk plus Fernet's and our own overhead; anything much longer is damage.
MAX_FRAME = CHUNK + 1024
MANIFEST, DATA, END = 0, 1, 2
_FRAME_PREFIX = struct.Struct(">16sQB")
_LENGTH = struct.Struct(">I")

ARCHIVE_SUFFIX = ".backup"
ARCHIVE_NAME = re.compile(r"^engage-\d{8}T\d{6}\.\d{6}Z\.backup$")
VENDOR_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# A plain DB-API connection, sqlite3's or psycopg's: they share no type, only the protocol.
Connection = Any

# Django's OPTIONS that are libpq connection parameters, and the variables pg_dump reads them
# from (the environment keeps the password off the command line, where `ps` would show it).
_LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
}


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says why, for the operator."""


# Keys


def backup_fernet() -> MultiFernet:
    """Return the backup keys from ENGAGE_BACKUP_KEY, refusing a missing, bad or reused key."""
    keys = [key.strip() for key in settings.ENGAGE_BACKUP_KEY.split(",") if key.strip()]
    if not keys:
        raise BackupError(
            "ENGAGE_BACKUP_KEY is not set: backups are always encrypted. Make a key with "
            "`engage backup --new-key` and keep it apart from the archives."
        )
    # The field keys must not open the backups too: one stolen secret would then open both.
    if set(keys) & set(settings.ENGAGE_FIELD_KEYS or ()):
        raise BackupError("ENGAGE_BACKUP_KEY must differ from the keys in ENGAGE_FIELD_KEYS.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise BackupError(
            "ENGAGE_BACKUP_KEY is not a valid Fernet key (make one with `engage backup --new-key`)."
        ) from None


def new_backup_key() -> str:
    return Fernet.generate_key().decode()


@contextmanager
def _database_errors() -> Iterator[None]:
    """Say in one line that a database cannot be reached, rather than with a traceback."""
    try:
        yield
    except (psycopg.OperationalError, sqlite3.OperationalError) as error:
        raise BackupError(f"Cannot use the database: {error}") from None


# Databases


@dataclass(frozen=True)
class Database:
    """A database as Django describes it (a settings dict), reached without Django's ORM so
    that a restore target need not be one of the project's configured databases."""

    settings_dict: Mapping[str, Any]

    @classmethod
    def default(cls) -> "Database":
        return cls(connections[DEFAULT_DB_ALIAS].settings_dict)

    @classmethod
    def from_url(cls, url: str) -> "Database":
        try:
            return cls(dj_database_url.parse(url))
        except ValueError as error:
            raise BackupError(f"Cannot read the database URL: {error}") from None

    @property
    def vendor(self) -> str:
        engine = self.settings_dict["ENGINE"].rsplit(".", 1)[-1]
        vendor = {"postgresql": "postgresql", "sqlite3": "sqlite"}.get(engine)
        if vendor is None:
            raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")
        return vendor

    @property
    def name(self) -> str:
        return str(self.settings_dict["NAME"])

    def describe(self) -> str:
        """Say which database this is, without its password."""
        if self.vendor == "sqlite":
            return f"SQLite database {self.name}"
        host = self.settings_dict.get("HOST") or "the local server"
        return f"PostgreSQL database {self.name} on {host}"

    def libpq_params(self, dbname: str | None = None) -> dict[str, str]:
        db = self.settings_dict
        params = {
            "host": db.get("HOST"),
            "port": db.get("PORT"),
            "user": db.get("USER"),
            "password": db.get("PASSWORD"),
            "dbname": dbname or db["NAME"],
            **{k: v for k, v in (db.get("OPTIONS") or {}).items() if k in _LIBPQ_ENV},
        }
        return {key: str(value) for key, value in params.items() if value not in (None, "")}

    def libpq_env(self) -> dict[str, str]:
        """Return the environment for pg_dump and pg_restore to reach this database."""
        # Inherited PG* variables stay: Django's own connection (libpq) honours them too.
        env = dict(os.environ)
        env.update({_LIBPQ_ENV[key]: value for key, value in self.libpq_params().items()})
        return env

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """Open a plain DB-API connection (sqlite3 or psycopg) to this database."""
        if self.vendor == "sqlite":
            with closing(sqlite3.connect(self.name)) as connection:
                yield connection
        else:
            params: dict[str, Any] = self.libpq_params()
            with psycopg.connect(**params) as pg_connection:
                yield pg_connection


def table_counts(vendor: str, connection: Connection) -> dict[str, int]:
    """Count the rows of every table: what the manifest records and a restore must match."""
    cursor = connection.cursor()
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        names = {name: '"{}"'.format(name.replace('"', '""')) for (name,) in cursor.fetchall()}
    else:
        cursor.execute(
            "SELECT schemaname, tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        names = {
            f"{schema}.{table}": sql.Identifier(schema, table).as_string(connection)
            for schema, table in cursor.fetchall()
        }
    counts: dict[str, int] = {}
    for name, quoted in sorted(names.items()):
        cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608 (quoted catalogue names)
        counts[name] = cursor.fetchone()[0]
    return counts


# The archive format


class ArchiveWriter:
    """Write the header, then frames: the manifest, the dump's chunks, the end."""

    def __init__(self, file: BinaryIO, fernet: MultiFernet, vendor: str) -> None:
        self.file = file
        self.fernet = fernet
        self.archive_id = os.urandom(16)
        self.sequence = 0
        self.data_bytes = 0
        encoded = vendor.encode("ascii")
        file.write(MAGIC + bytes([FORMAT_VERSION, len(encoded)]) + encoded + self.archive_id)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self._frame(MANIFEST, json.dumps(manifest, sort_keys=True).encode())

    def write_stream(self, stream: IO[bytes]) -> None:
        while chunk := stream.read(CHUNK):
            self.data_bytes += len(chunk)
            self._frame(DATA, chunk)

    def finish(self) -> None:
        self._frame(END, struct.pack(">Q", self.data_bytes))

    def _frame(self, kind: int, payload: bytes) -> None:
        prefix = _FRAME_PREFIX.pack(self.archive_id, self.sequence, kind)
        token = base64.urlsafe_b64decode(self.fernet.encrypt(prefix + payload))
        self.file.write(_LENGTH.pack(len(token)) + token)
        self.sequence += 1


class ArchiveReader:
    """Read an archive back, checking every frame belongs here, in order, up to the end."""

    def __init__(self, file: BinaryIO, fernet: MultiFernet) -> None:
        self.file = file
        self.fernet = fernet
        self.sequence = 0
        start = file.read(len(MAGIC) + 2)
        if len(start) < len(MAGIC) + 2 or not start.startswith(MAGIC):
            raise BackupError("This file is not an Engage backup archive.")
        if start[len(MAGIC)] != FORMAT_VERSION:
            raise BackupError(
                f"This archive has format version {start[len(MAGIC)]}; this Engage reads "
                f"version {FORMAT_VERSION}."
            )
        self.vendor = file.read(start[-1]).decode("ascii", errors="replace")
        self.archive_id = file.read(16)

    def read_manifest(self) -> dict[str, Any]:
        """Decrypt the manifest: the first use of the key, so a wrong key is said plainly."""
        try:
            kind, payload = self._frame()
        except InvalidToken:
            raise BackupError(
                "ENGAGE_BACKUP_KEY does not open this archive: it was made with another key, "
                "or the file is damaged."
            ) from None
        manifest = json.loads(payload) if kind == MANIFEST else {}
        if manifest.get("vendor") != self.vendor:
            raise BackupError("The archive is damaged: its header and manifest disagree.")
        return manifest

    def chunks(self) -> Iterator[bytes]:
        """Yield the dump's bytes, and fail if the archive stops before its end frame."""
        received = 0
        while True:
            try:
                kind, payload = self._frame()
            except InvalidToken:
                raise BackupError(
                    f"The archive is damaged: frame {self.sequence} does not decrypt."
                ) from None
            if kind == END:
                if struct.unpack(">Q", payload)[0] != received:
                    raise BackupError("The archive is damaged: bytes are missing.")
                return
            received += len(payload)
            yield payload

    def _frame(self) -> tuple[int, bytes]:
        length = self.file.read(_LENGTH.size)
        if len(length) < _LENGTH.size:
            raise BackupError("The archive is incomplete: it ends before its last frame.")
        (size,) = _LENGTH.unpack(length)
        token = self.file.read(size) if size <= MAX_FRAME else b""
        if len(token) != size:
            raise BackupError("The archive is incomplete or damaged (a frame is cut short).")
        plaintext = self.fernet.decrypt(base64.urlsafe_b64encode(token))
        archive_id, sequence, kind = _FRAME_PREFIX.unpack_from(plaintext)
        if archive_id != self.archive_id or sequence != self.sequence:
            raise BackupError("The archive is damaged: its frames are out of order or mixed.")
        self.sequence += 1
        return kind, plaintext[_FRAME_PREFIX.size :]


# Backup


@dataclass
class BackupResult:
    path: Path
    size: int
    vendor: str
    tables: dict[str, int]
    removed: list[Path] = field(default_factory=list)


def default_output_dir() -> Path:
    return Path(settings.ENGAGE_BACKUPS_DIR or Path(settings.DATA_DIR) / "backups")


@_database_errors()
def make_backup(output_dir: Path, keep: int) -> BackupResult:
    """Write an encrypted archive of the default database into `output_dir`, then remove the
    oldest archives beyond the newest `keep`."""
    if keep < 1:
        raise BackupError("--keep must be at least 1: the archive just made is kept.")
    fernet = backup_fernet()
    database = Database.default()
    vendor = database.vendor
    output_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _only_backup(output_dir):
        _remove_leftovers(output_dir)
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = output_dir / f"engage-{stamp}{ARCHIVE_SUFFIX}"
        partial = path.with_name(path.name + ".partial")
        try:
            # Only the owner may read an archive, even though it is encrypted.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
            with os.fdopen(os.open(partial, flags, 0o600), "wb") as file:
                writer = ArchiveWriter(file, fernet, vendor)
                dump = _dump_postgresql if vendor == "postgresql" else _dump_sqlite
                tables = dump(database, writer, output_dir)
                writer.finish()
                file.flush()
                os.fsync(file.fileno())
            # A crash leaves a .partial file, never an archive that looks whole.
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        removed = prune(output_dir, keep)
    return BackupResult(path, path.stat().st_size, vendor, tables, removed)


LOCK_NAME = ".engage-backup.lock"
SQLITE_COPY_PREFIX = ".engage-backup-"


@contextmanager
def _only_backup(output_dir: Path) -> Iterator[None]:
    """Hold the folder's lock for one backup at a time: what another backup is writing is never
    taken for a crashed one's leftovers."""
    descriptor = os.open(output_dir / LOCK_NAME, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # and with it the lock


def _remove_leftovers(output_dir: Path) -> None:
    """What a backup killed before its end left behind (power lost, `kill -9`): a `.partial`
    archive, and on SQLite the whole database copied in clear into a private folder, which
    would otherwise stay beside the archives for as long as the folder does."""
    for path in output_dir.iterdir():
        if path.name.startswith(SQLITE_COPY_PREFIX) and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.name.endswith(ARCHIVE_SUFFIX + ".partial") and path.is_file():
            path.unlink()


def _manifest(vendor: str, tables: dict[str, int]) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "vendor": vendor,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "tables": tables,
    }


def _dump_sqlite(database: Database, writer: ArchiveWriter, workdir: Path) -> dict[str, int]:
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    # A private folder beside the archives: the copy is as large as the database.
    with tempfile.TemporaryDirectory(dir=workdir, prefix=SQLITE_COPY_PREFIX) as folder:
        copy = Path(folder) / "engage.sqlite3"
        with closing(sqlite3.connect(copy)) as target:
            connection.connection.backup(target)
            tables = table_counts("sqlite", target)
        writer.write_manifest(_manifest("sqlite", tables))
        with copy.open("rb") as file:
            writer.write_stream(file)
    return tables


def _dump_postgresql(database: Database, writer: ArchiveWriter, workdir: Path) -> dict[str, int]:
    pg_dump = _binary("pg_dump")
    params: dict[str, Any] = database.libpq_params()
    with psycopg.connect(**params) as snapshot:
        snapshot.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot.read_only = True
        exported = snapshot.execute("SELECT pg_export_snapshot()").fetchone()
        if exported is None:  # the function always returns its one row
            raise BackupError("PostgreSQL exported no snapshot.")
        snapshot_id = exported[0]
        tables = table_counts("postgresql", snapshot)
        writer.write_manifest(_manifest("postgresql", tables))
        # pg_dump sees exactly what was counted: the snapshot lives while this transaction does.
        command = [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot_id}"]
        # The tool's messages go to a file: a pipe could fill up and stall it mid-stream.
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)
                command, stdout=subprocess.PIPE, stderr=errors, env=database.libpq_env()
            )
            with process:
                if process.stdout is None:  # never: stdout is a pipe
                    raise BackupError("pg_dump gave no output.")
                writer.write_stream(process.stdout)
            _check_process("pg_dump", process, errors)
        snapshot.rollback()
    return tables


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not on the PATH: install the PostgreSQL client "
            "(Debian: apt-get install postgresql-client)."
        )
    return path


def _check_process(name: str, process: subprocess.Popen[bytes], errors: IO[bytes]) -> None:
    if process.returncode != 0:
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
        raise BackupError(f"{name} failed (exit status {process.returncode}): {message}")


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete the oldest archives beyond the newest `keep` (their names sort by time)."""
    archives = sorted(p for p in directory.iterdir() if ARCHIVE_NAME.match(p.name))
    old = archives[: max(len(archives) - keep, 0)]
    for path in old:
        path.unlink()
    return old


# Restore


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    target: Database
    checks: list[Check]


@_database_errors()
def restore(archive: Path, target: Database, *, replace: bool) -> RestoreResult:
    """Restore `archive` into `target`, then check the restored database against the
    archive's manifest and the field keys."""
    fernet = backup_fernet()
    with archive.open("rb") as file:
        reader = ArchiveReader(file, fernet)
        _refuse_other_vendor(reader.vendor, target)
        manifest = reader.read_manifest()
        if target.vendor == "sqlite":
            _restore_sqlite(reader.chunks(), target, replace=replace)
        else:
            _restore_postgresql(reader.chunks(), target, replace=replace)
    return RestoreResult(manifest, target, smoke_checks(target, manifest))


def _refuse_other_vendor(vendor: str, target: Database) -> None:
    if vendor != target.vendor:
        made = VENDOR_NAMES.get(vendor, vendor)
        raise BackupError(
            f"This archive was made from a {made} database and can only be restored into "
            f"{made}; the target is {target.describe()}."
        )


def _refuse_to_overwrite(target: Database, replace: bool) -> None:
    if not replace and not _is_empty(target):
        raise BackupError(
            f"The {target.describe()} is not empty. Add --yes to replace its contents with "
            "the archive's."
        )


def _is_empty(target: Database) -> bool:
    try:
        with target.connect() as connection:
            return not table_counts(target.vendor, connection)
    except sqlite3.DatabaseError:
        return False  # Some other file: not ours to overwrite without --yes.


def _restore_sqlite(chunks: Iterable[bytes], target: Database, *, replace: bool) -> None:
    path = Path(target.name)
    if target.name == ":memory:" or "mode=memory" in target.name:
        raise BackupError("Cannot restore into an in-memory SQLite database.")
    if path.exists():
        _refuse_to_overwrite(target, replace)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".restore")
    incoming = Path(name)
    try:
        # Written whole beside the target first: a damaged archive leaves the target untouched.
        with os.fdopen(descriptor, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        connections.close_all()
        # A journal left by the old database must not be replayed into the restored one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        incoming.replace(path)
    finally:
        incoming.unlink(missing_ok=True)


def _restore_postgresql(chunks: Iterable[bytes], target: Database, *, replace: bool) -> None:
    pg_restore = _binary("pg_restore")
    _create_database_if_missing(target)
    _refuse_to_overwrite(target, replace)
    connections.close_all()
    # One transaction: the restore applies whole or not at all.
    command = [
        pg_restore,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--no-password",
        f"--dbname={target.name}",
    ]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)
            command, stdin=subprocess.PIPE, stdout=errors, stderr=errors, env=target.libpq_env()
        )
        with process:
            if process.stdin is None:  # never: stdin is a pipe
                raise BackupError("pg_restore took no input.")
            try:
                for chunk in chunks:
                    process.stdin.write(chunk)
            except BrokenPipeError:
                pass  # pg_restore stopped reading: its exit status and messages say why.
            except BaseException:
                # Killed before its end, pg_restore's transaction rolls back: nothing half done.
                process.kill()
                raise
        _check_process("pg_restore", process, errors)


def _create_database_if_missing(target: Database) -> None:
    try:
        with target.connect():
            return
    except psycopg.OperationalError:
        pass  # Most likely missing; if not, creating it says what is wrong.
    try:
        params: dict[str, Any] = target.libpq_params("postgres")
        with psycopg.connect(**params, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))
    except psycopg.Error as error:
        raise BackupError(f"Cannot create the {target.describe()}: {error}") from None


# Smoke checks


def smoke_checks(target: Database, manifest: dict[str, Any]) -> list[Check]:
    with target.connect() as connection:
        counts = table_counts(target.vendor, connection)
        return [_check_row_counts(manifest["tables"], counts), _check_people_decrypt(connection)]


def _check_row_counts(expected: dict[str, int], actual: dict[str, int]) -> Check:
    wrong = [
        f"{table}: {actual.get(table, 'missing')} instead of {count}"
        for table, count in expected.items()
        if actual.get(table) != count
    ]
    if wrong:
        return Check("row counts", False, "; ".join(wrong))
    rows = sum(expected.values())
    return Check("row counts", True, f"{len(expected)} tables, {rows} rows, as at the backup")


def _check_people_decrypt(connection: Connection) -> Check:
    """Open one person's encrypted fields with today's ENGAGE_FIELD_KEYS: a restore is of no
    use if the keys that encrypted the data are gone."""
    fields = [f for f in Person._meta.concrete_fields if isinstance(f, EncryptedMixin)]
    columns = ", ".join(f.column for f in fields)
    cursor = connection.cursor()
    cursor.execute(
        f"SELECT {columns} FROM {Person._meta.db_table} "  # noqa: S608 (model's own names)
        f"WHERE {fields[0].column} <> '' LIMIT 1"
    )
    row = cursor.fetchone()
    if row is None:
        return Check("field keys", True, "no person to decrypt")
    try:
        for model_field, value in zip(fields, row, strict=True):
            model_field.from_db_value(value, None, None)
    except crypto.DecryptionError:
        return Check(
            "field keys",
            False,
            "a person's fields do not decrypt with ENGAGE_FIELD_KEYS: the keys in use when "
            "the backup was made are needed",
        )
    return Check("field keys", True, "a person's fields decrypt with ENGAGE_FIELD_KEYS")
