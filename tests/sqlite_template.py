"""The migrated SQLite test database, built once and copied into each test run's memory.

Migrating the empty test database (60-odd migrations, the history and audit triggers) takes
several seconds of CPU, which every pytest process paid again: both `make test` workers, and
every targeted run. The first process to need it migrates as Django always does and keeps a copy
of the result; the others (and later runs) copy it into their in-memory database with SQLite's
backup API, which takes milliseconds.

The copy is named by a digest of everything that decides what migrating produces: the
migration files of every installed app, Engage's own code (migrations call it: the triggers are
generated from the models), the Django and SQLite versions. Any change there means a new copy,
built the usual way. PostgreSQL, a test database kept on disk (`--reuse-db`) and runs without
migrations are left to Django.

The same copy ends each transactional test (`transaction=True`, the browser's live server).
Django empties every table with `flush`, then sends `post_migrate`, which writes the content
types and the 340 permissions again, row by row: tens of milliseconds a test, three quarters of
them `post_migrate`. The copy is that same state (the database as migrated, with what
`post_migrate` wrote), and copying it back takes a millisecond or two.
"""

import contextlib
import fcntl
import hashlib
import io
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.backends.sqlite3.creation import DatabaseCreation
from django.test import TransactionTestCase
from django.utils import timezone

KEEP = 3  # copies of other versions kept in the folder, newest first


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    digest.update(f"{django.__version__} {sqlite3.sqlite_version}".encode())
    digest.update(repr(settings.INSTALLED_APPS).encode())
    files = set((root / "engage").rglob("*.py"))
    for config in apps.get_app_configs():
        files.update((Path(config.path) / "migrations").glob("*.py"))
    for path in sorted(files):
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _folder() -> Path:
    folder = Path(tempfile.gettempdir()) / f"engage-test-db-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _clear_old_copies(folder: Path) -> None:
    """Remove the copies beyond the newest few that nobody has used for an hour, and the demo
    seeded (`seed_demo`) that nobody has used for a day."""
    with contextlib.suppress(FileNotFoundError):  # another run clearing them at the same time
        copies = sorted(folder.glob("*.sqlite3"), key=lambda path: path.stat().st_mtime)
        for old in copies[:-KEEP]:
            if time.time() - old.stat().st_mtime > 3600:
                old.unlink()
        for seeded in folder.glob("seeded-*.db"):
            if time.time() - seeded.stat().st_mtime > 86400:
                seeded.unlink()


# The copy each in-memory test database was made from, by the alias of its connection.
_made_from: dict[str, Path] = {}


def copy_back(alias: str) -> bool:
    """Put the database of `alias` back as migrated, from its copy; False where it cannot be
    (not made from a copy, or inside a transaction), and Django's flush is left to do it."""
    copy = _made_from.get(alias)
    if copy is None:
        return False
    connection = connections[alias]
    if connection.connection is None or connection.in_atomic_block:
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as source:
            source.backup(connection.connection)
    except sqlite3.Error:
        return False  # the copy gone, or the database busy: flushed as Django does
    return True


def install(root: Path) -> None:
    """Make Django's SQLite test database creation use (and keep) the migrated copy, and the
    transactional tests end by copying it back rather than by flushing."""
    original = DatabaseCreation.create_test_db
    flush = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        # As Django's own: every database of the test, with no apps left out (a flush of some
        # apps only) and no serialized rows to load back.
        if self.available_apps is not None or self.serialized_rollback:
            return flush(self)
        names = list(self._databases_names(include_mirrors=False))
        if not all(name in _made_from for name in names):
            return flush(self)
        for name in names:
            if not copy_back(name):
                call_command(  # as Django flushes
                    "flush", verbosity=0, interactive=False, database=name, reset_sequences=False
                )
        return None

    TransactionTestCase._fixture_teardown = _fixture_teardown

    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        name = self._get_test_db_name()
        migrate = self.connection.settings_dict["TEST"].get("MIGRATE", True)
        if keepdb or not migrate or not self.is_in_memory_db(name):
            return original(self, verbosity, autoclobber, serialize, keepdb)
        folder = _folder()
        copy = folder / f"{_digest(root)}-{self.connection.alias}.sqlite3"
        with open(copy.with_suffix(".lock"), "w") as lock:
            # One process migrates while the others needing the same copy wait for it.
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not copy.exists():
                name = original(self, verbosity, autoclobber, serialize, keepdb)
                partial = copy.with_suffix(f".{os.getpid()}.partial")
                with contextlib.closing(sqlite3.connect(partial)) as target:
                    self.connection.connection.backup(target)
                os.replace(partial, copy)
                _clear_old_copies(folder)
                _made_from[self.connection.alias] = copy
                return name
            # Read-only: should the copy have gone meanwhile, this fails rather than copying an
            # empty database.
            self.connection.close()
            settings.DATABASES[self.connection.alias]["NAME"] = name
            self.connection.settings_dict["NAME"] = name
            self.connection.ensure_connection()
            with contextlib.closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as source:
                source.backup(self.connection.connection)
            copy.touch()  # the newest is kept when older copies are cleared
            _made_from[self.connection.alias] = copy
        if serialize:
            self.connection._test_serialized_contents = self.serialize_db_to_string()
        return name

    DatabaseCreation.create_test_db = create_test_db


# What `post_migrate` writes: there in a database as migrated.
_MIGRATED = {"django_content_type", "auth_permission"}


def _as_migrated(connection) -> bool:
    """Whether no table holds a row but those of a database as migrated (a test's own rows
    rolled back count as none)."""
    # Here, not at the top: `python -m tests.sqlite_template` imports this before Django is set up.
    from engage.history.management.commands.flush import any_rows

    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    return not any_rows(connection, [table for table in tables if table not in _MIGRATED])


def seed_demo(**options: Any) -> None:
    """`engage seed_demo` with `options`, for a transactional test that needs the demo as its
    data: copied back when it can be (`seeded_and_kept`), else seeded as usual."""
    if not seeded_and_kept(**options):
        call_command("seed_demo", stdout=io.StringIO(), **options)


def seeded_and_kept(**options: Any) -> bool:
    """The demo seeded with `options` into a database as migrated, outside any transaction;
    True when done, False (nothing done) where it cannot be.

    On SQLite the first seeding for this code, this day, these options and keys is kept beside
    the migrated copy, and every later one (another test, the other worker, the next run)
    copies that database back instead: the rows the seeding wrote, in a fraction of a second
    rather than seconds. The code is in the name through the migrated copy's (the digest of
    Engage's code), and the day because the demo's story is dated from today.
    Not on PostgreSQL, inside a transaction or on a database already written to: False."""
    connection = connections["default"]
    made_from = _made_from.get("default")
    if (
        made_from is None
        or connection.in_atomic_block
        or connection.connection is None
        or not _as_migrated(connection)
    ):
        return False
    what = (
        made_from.name,
        timezone.localdate().isoformat(),
        sorted(options.items()),
        settings.ENGAGE_FIELD_KEYS,
        settings.ENGAGE_INDEX_KEY,
        getattr(settings, "ENGAGE_DEMO_PASSWORD", None),
    )
    kept = made_from.with_name(f"seeded-{hashlib.sha256(repr(what).encode()).hexdigest()[:20]}.db")
    with open(kept.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker seeding the same waits for it
        if kept.exists():
            with contextlib.closing(sqlite3.connect(f"file:{kept}?mode=ro", uri=True)) as source:
                source.backup(connection.connection)
            kept.touch()
            return True
        call_command("seed_demo", stdout=io.StringIO(), **options)
        partial = kept.with_suffix(f".{os.getpid()}.partial")
        with contextlib.closing(sqlite3.connect(partial)) as target:
            connection.connection.backup(target)
        os.replace(partial, kept)
    return True


def build() -> None:
    """Make the copy now, if this tree's is not made yet, as the first test process would:
    `make test` makes it beside the linters, so that neither worker waits on migrations.
    Nothing to do on PostgreSQL (`DATABASE_URL`), whose test database Django makes."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage.settings")
    django.setup()
    if connections["default"].vendor != "sqlite":
        return
    from django.test.utils import setup_databases, teardown_databases

    install(Path(__file__).resolve().parents[1])
    with contextlib.redirect_stdout(io.StringIO()):  # "Cache table ... already exists"
        made = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    teardown_databases(made, verbosity=0)


if __name__ == "__main__":
    build()
