"""Encrypted backups restore into a fresh database, with row-count parity (R39).

The tests run on whichever database the suite runs on: SQLite by default, PostgreSQL in CI
(`DATABASE_URL=postgres://…`), where they use the real pg_dump and pg_restore.
"""

import io
import os
import secrets
import shutil
import sqlite3
from contextlib import closing
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from cryptography.fernet import Fernet, MultiFernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from engage.cases.factories import CaseFactory
from engage.cases.models import Person
from engage.lib import crypto
from engage.ops import backup
from engage.ops.backup import ArchiveReader, ArchiveWriter, BackupError, Database, table_counts
from tests.conftest import TEST_FIELD_KEY

SENTINEL = "Zebulonbackup"

committed = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _dump_tools():
    if connection.vendor == "postgresql" and not (
        shutil.which("pg_dump") and shutil.which("pg_restore")
    ):
        pytest.skip("pg_dump/pg_restore are not installed (.ci/run installs postgresql-client)")


@pytest.fixture
def backup_key(settings) -> str:
    settings.ENGAGE_BACKUP_KEY = Fernet.generate_key().decode()
    return settings.ENGAGE_BACKUP_KEY


@pytest.fixture
def sentinel_case(organisation, alice):
    CaseFactory(organisation=organisation, case_manager=alice)
    return CaseFactory(organisation=organisation, case_manager=alice, person__given_name=SENTINEL)


@pytest.fixture
def fresh_url(tmp_path):
    """The URL of a database that does not exist yet, dropped after the test."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"engage_restore_test_{secrets.token_hex(4)}"
    source = connection.settings_dict
    user = quote(source["USER"] or "postgres")
    password = f":{quote(source['PASSWORD'])}" if source["PASSWORD"] else ""
    host = source["HOST"] or "127.0.0.1"
    yield f"postgres://{user}{password}@{host}:{source['PORT'] or 5432}/{name}"
    maintenance = Database(source).libpq_params("postgres")
    with psycopg.connect(**maintenance, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _backup(directory: Path, *args: str) -> Path:
    call_command("backup", "--output-dir", str(directory), *args, stdout=StringIO())
    return max(directory.glob("engage-*.backup"))


def _restore(archive: Path, url: str, *args: str) -> str:
    out = StringIO()
    call_command("restore", str(archive), "--database-url", url, *args, stdout=out)
    return out.getvalue()


def _tables_in(url: str) -> dict[str, int]:
    """Row counts of every table of the database at `url`, or {} if it does not exist."""
    database = Database.from_url(url)
    if database.vendor == "sqlite" and not Path(database.name).exists():
        return {}
    try:
        with database.connect() as target:
            return table_counts(database.vendor, target)
    except psycopg.OperationalError:
        return {}  # No such database.


def _counts_here() -> dict[str, int]:
    """Row counts of this database's tables, as `table_counts` reads them: SQLite's own tables
    (`sqlite_stat1`, the planner's statistics that ANALYZE writes, engage/ops/statistics.py) are
    no data of Engage's, and whether they exist depends on which test analysed the database."""
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names():
            if table.startswith("sqlite_"):
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
        return counts


def _names_in(url: str) -> set[str]:
    with Database.from_url(url).connect() as target:
        cursor = target.cursor()
        cursor.execute("SELECT given_name FROM cases_person")
        return {crypto.decrypt(token) for (token,) in cursor.fetchall()}


@committed
def test_it_restores_into_a_fresh_database_with_the_same_rows(
    sentinel_case, backup_key, fresh_url, tmp_path, monkeypatch
):
    # Small frames, so that the dump streams through many of them.
    monkeypatch.setattr(backup, "CHUNK", 64 * 1024)
    archive = _backup(tmp_path / "backups")

    out = _restore(archive, fresh_url)

    assert "ok: row counts" in out
    assert "ok: field keys: a person's fields decrypt" in out
    assert "All smoke checks passed." in out
    restored = {name.split(".")[-1]: count for name, count in _tables_in(fresh_url).items()}
    assert restored == _counts_here()
    assert restored["cases_person"] == Person.objects.count() == 2
    assert SENTINEL in _names_in(fresh_url)


@committed
def test_it_keeps_neither_names_nor_the_key_in_the_archive(sentinel_case, backup_key, tmp_path):
    data = _backup(tmp_path).read_bytes()

    assert data.startswith(b"ENGAGEBK")
    for secret in (SENTINEL.encode(), backup_key.encode(), Fernet(backup_key)._signing_key):
        assert secret not in data
    assert b"cases_person" not in data  # even the schema is encrypted


@committed
def test_it_refuses_to_back_up_without_a_key(organisation, settings, tmp_path):
    settings.ENGAGE_BACKUP_KEY = ""

    with pytest.raises(CommandError, match="ENGAGE_BACKUP_KEY is not set"):
        call_command("backup", "--output-dir", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_it_refuses_a_field_key_as_the_backup_key(settings, tmp_path):
    settings.ENGAGE_BACKUP_KEY = TEST_FIELD_KEY

    with pytest.raises(CommandError, match="must differ from the keys in ENGAGE_FIELD_KEYS"):
        call_command("backup", "--output-dir", str(tmp_path))


@committed
def test_it_says_plainly_when_the_key_is_wrong(
    sentinel_case, backup_key, settings, fresh_url, tmp_path
):
    archive = _backup(tmp_path)
    settings.ENGAGE_BACKUP_KEY = Fernet.generate_key().decode()

    with pytest.raises(CommandError, match="ENGAGE_BACKUP_KEY does not open this archive"):
        _restore(archive, fresh_url)
    assert _tables_in(fresh_url) == {}


@committed
def test_it_still_restores_after_a_new_backup_key_is_put_first(
    sentinel_case, backup_key, settings, fresh_url, tmp_path
):
    archive = _backup(tmp_path)
    settings.ENGAGE_BACKUP_KEY = f"{Fernet.generate_key().decode()},{backup_key}"

    assert "All smoke checks passed." in _restore(archive, fresh_url)


@committed
def test_it_refuses_an_archive_of_another_database_engine(sentinel_case, backup_key, tmp_path):
    archive = _backup(tmp_path)
    other = (
        f"sqlite:///{tmp_path / 'other.sqlite3'}"
        if connection.vendor == "postgresql"
        else "postgres://nobody@127.0.0.1:1/nothing"
    )
    made = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"

    with pytest.raises(CommandError, match=f"made from a {made} database"):
        _restore(archive, other)
    assert not (tmp_path / "other.sqlite3").exists()


@committed
def test_it_replaces_a_non_empty_database_only_with_yes(
    sentinel_case, backup_key, fresh_url, tmp_path
):
    archive = _backup(tmp_path)
    _restore(archive, fresh_url)

    with pytest.raises(CommandError, match="is not empty"):
        _restore(archive, fresh_url)
    assert "All smoke checks passed." in _restore(archive, fresh_url, "--yes")
    assert SENTINEL in _names_in(fresh_url)


@committed
def test_it_fails_when_todays_field_keys_cannot_read_the_restored_people(
    sentinel_case, backup_key, settings, fresh_url, tmp_path
):
    archive = _backup(tmp_path)
    settings.ENGAGE_FIELD_KEYS = [crypto.new_field_key()]
    crypto.reset_keys()
    out = StringIO()
    try:
        with pytest.raises(CommandError, match="1 smoke check"):
            call_command("restore", str(archive), "--database-url", fresh_url, stdout=out)
    finally:
        settings.ENGAGE_FIELD_KEYS = [TEST_FIELD_KEY]
        crypto.reset_keys()
    assert "ok: row counts" in out.getvalue()
    assert "FAILED: field keys" in out.getvalue()


@committed
def test_it_leaves_the_target_untouched_when_the_archive_is_cut_short(
    sentinel_case, backup_key, fresh_url, tmp_path
):
    archive = _backup(tmp_path)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) - 200])

    with pytest.raises(CommandError, match="incomplete"):
        _restore(archive, fresh_url)
    assert _tables_in(fresh_url) == {}


@committed
def test_it_keeps_only_the_newest_archives(organisation, backup_key, tmp_path):
    old = [tmp_path / f"engage-2024010{day}T020000.000000Z.backup" for day in (1, 2, 3)]
    for path in old:
        path.write_bytes(b"an older archive")
    (tmp_path / "notes.txt").write_text("not an archive: never removed")
    out = StringIO()

    call_command("backup", "--output-dir", str(tmp_path), "--keep", "2", stdout=out)

    newest = max(tmp_path.glob("engage-*.backup")).name
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [backup.LOCK_NAME, old[2].name, newest, "notes.txt"]
    assert "Removed 2 old archive(s), keeping the newest 2." in out.getvalue()


@committed
def test_it_removes_what_a_backup_killed_midway_left_in_clear(sentinel_case, backup_key, tmp_path):
    """A backup killed before its end (power lost, `kill -9`) left, on SQLite, the whole
    database copied in clear in a private folder beside the archives, which pruning did not
    remove: a thief with the backups folder read every name in it. The next backup removes it."""
    crashed = tmp_path / f"{backup.SQLITE_COPY_PREFIX}k1ll3d"
    crashed.mkdir(mode=0o700)
    with closing(sqlite3.connect(crashed / "engage.sqlite3")) as copy:
        copy.execute("CREATE TABLE cases_person (name TEXT)")
        copy.execute("INSERT INTO cases_person VALUES ('Amal Haddad')")
        copy.commit()
    partial = tmp_path / "engage-20240101T020000.000000Z.backup.partial"
    partial.write_bytes(b"half an archive")
    (tmp_path / "notes.txt").write_text("the operator's own: never removed")

    call_command("backup", "--output-dir", str(tmp_path), stdout=StringIO())

    (archive,) = tmp_path.glob("engage-*.backup")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [backup.LOCK_NAME, archive.name, "notes.txt"]


@committed
def test_it_writes_to_the_data_folder_by_default(organisation, backup_key, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = StringIO()

    call_command("backup", stdout=out)

    (archive,) = (tmp_path / "backups").glob("engage-*.backup")
    assert f"to {archive} (" in out.getvalue()
    assert archive.stat().st_mode & 0o777 == 0o600


class TestArchiveFormat:
    def test_it_round_trips_a_stream_across_many_frames(self):
        fernet = _fernet()
        payload = os.urandom(backup.CHUNK * 2 + 12345)
        file = io.BytesIO()
        writer = ArchiveWriter(file, fernet, "sqlite")
        writer.write_manifest({"vendor": "sqlite", "tables": {}})
        writer.write_stream(io.BytesIO(payload))
        writer.finish()

        file.seek(0)
        reader = ArchiveReader(file, fernet)
        assert reader.vendor == "sqlite"
        assert reader.read_manifest()["tables"] == {}
        assert b"".join(reader.chunks()) == payload

    def test_it_refuses_frames_put_in_another_order(self):
        fernet = _fernet()
        file = io.BytesIO()
        writer = ArchiveWriter(file, fernet, "sqlite")
        writer.write_manifest({"vendor": "sqlite", "tables": {}})
        start = file.tell()
        writer.write_stream(io.BytesIO(b"first"))
        middle = file.tell()
        writer.write_stream(io.BytesIO(b"second"))
        end = file.tell()
        writer.finish()
        data = file.getvalue()
        swapped = data[:start] + data[middle:end] + data[start:middle] + data[end:]

        reader = ArchiveReader(io.BytesIO(swapped), fernet)
        reader.read_manifest()
        with pytest.raises(BackupError, match="out of order"):
            list(reader.chunks())

    def test_it_refuses_a_file_that_is_not_an_archive(self):
        with pytest.raises(BackupError, match="not an Engage backup archive"):
            ArchiveReader(io.BytesIO(b"SQLite format 3\0"), _fernet())


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])
