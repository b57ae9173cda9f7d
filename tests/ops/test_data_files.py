"""Data files only their owner can read, and no key in the data folder (issue 10 #19).

Another local account (a service, a colleague's login on a shared server) must not be able to
copy the database or a document, and a copy of the data folder (a backup, a stolen laptop's
`data/`) must not bring the development keys along.
"""

import json
import multiprocessing
import os
import stat
import subprocess
import sys
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured

from engage.documents import storage
from engage.lib import crypto

TOUCH = (
    "from django.db import connection; connection.ensure_connection(); "
    "connection.cursor().execute('CREATE TABLE t (x)'); "
    "from engage.lib import crypto; crypto.encrypt('x')"
)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _development_instance(data) -> subprocess.CompletedProcess:
    """Start a development instance (no keys in the environment) on `data` and use it."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "DATABASE_URL", "ENGAGE_FIELD_KEYS", "ENGAGE_INDEX_KEY")
        and k not in ("ENGAGE_DEV_KEY_FILE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [sys.executable, "-m", "engage", "shell", "-c", TOUCH],
        env=environment | {"ENGAGE_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_makes_the_database_private_and_keeps_the_keys_outside(tmp_path):
    data = tmp_path / "data"
    result = _development_instance(data)
    assert result.returncode == 0, result.stderr
    assert _mode(data) == 0o700
    assert _mode(data / "engage.sqlite3") == 0o600
    for journal in data.glob("engage.sqlite3-*"):  # SQLite's -wal and -shm files
        assert _mode(journal) == 0o600, journal
    assert not [path for path in data.rglob("*") if "key" in path.name]
    keys = tmp_path / ".data-development-keys.json"
    assert _mode(keys) == 0o600 and set(json.loads(keys.read_text())) == {"field", "index"}


def test_it_moves_the_keys_of_an_existing_instance_out_and_tightens_its_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "engage.sqlite3").touch(mode=0o644)
    (data / "engage.sqlite3").chmod(0o644)
    old = {"field": crypto.new_field_key(), "index": crypto.new_index_key()}
    (data / "development-keys.json").write_text(json.dumps(old))
    (data / "development-keys.json").chmod(0o600)
    result = _development_instance(data)
    assert result.returncode == 0, result.stderr
    assert "moved out of the data folder" in result.stderr
    assert not (data / "development-keys.json").exists()
    assert json.loads((tmp_path / ".data-development-keys.json").read_text()) == old
    assert (_mode(data), _mode(data / "engage.sqlite3")) == (0o700, 0o600)


def test_it_stores_documents_private_even_in_an_open_folder(settings, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    folder.chmod(0o755)
    settings.ENGAGE_DOCUMENTS_DIR = folder
    record = uuid.uuid4()
    storage.save(record, b"%PDF-1.4 a letter")
    assert _mode(folder) == 0o700
    assert _mode(storage.path_for(record)) == 0o600
    assert storage.load(record) == b"%PDF-1.4 a letter"


@pytest.fixture
def development_keys(settings, tmp_path):
    settings.ENGAGE_FIELD_KEYS, settings.ENGAGE_INDEX_KEY = [], ""
    settings.ENGAGE_DEV_KEY_FILE = tmp_path / "keys.json"
    settings.ENGAGE_DEV_KEY_LEGACY_FILE = tmp_path / "data" / "development-keys.json"
    crypto.reset_keys()
    yield settings.ENGAGE_DEV_KEY_FILE
    crypto.reset_keys()


def test_it_refuses_a_key_file_others_can_read(development_keys):
    development_keys.write_text(
        json.dumps({"field": crypto.new_field_key(), "index": crypto.new_index_key()})
    )
    development_keys.chmod(0o644)  # planted, or copied carelessly
    with pytest.raises(ImproperlyConfigured, match="readable by you only"):
        crypto.encrypt("x")


def _keys_of_a_process(path) -> dict:
    return crypto._development_keys(path)


def test_processes_starting_together_make_one_set_of_keys_and_read_it_whole(
    development_keys,
):
    """`make demo`'s server and worker, or the bench's generator's processes, on a new machine:
    each finds no key file; one set of keys is made, and every process reads it whole."""
    with multiprocessing.get_context("fork").Pool(6) as pool:
        read = pool.map(_keys_of_a_process, [development_keys] * 24)
    assert all(keys == read[0] for keys in read)
    assert json.loads(development_keys.read_text()) == read[0]
    assert _mode(development_keys) == 0o600
    assert os.listdir(development_keys.parent) == ["keys.json"]  # no file left half way


def test_it_keeps_sqlite_s_locks_when_a_connection_opens(tmp_path):
    """Making the database private must not open and close its file: that drops the POSIX
    locks of the connections already open, and another process (a command run beside the
    server) then deletes the -wal and -shm files under them ("disk I/O error")."""
    import sqlite3
    from types import SimpleNamespace

    from engage.ops.apps import _private_sqlite_file

    database = tmp_path / "engage.sqlite3"
    ours = sqlite3.connect(database)
    ours.execute("PRAGMA journal_mode=WAL")
    ours.execute("CREATE TABLE t (x)")
    ours.commit()
    ours.execute("SELECT * FROM t").fetchall()
    database.chmod(0o644)
    # Another connection of this process opens: the signal handler runs.
    opened = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": str(database)})
    _private_sqlite_file(sender=None, connection=opened)
    assert _mode(database) == 0o600
    other = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT * FROM t'); c.close()"
    subprocess.run([sys.executable, "-c", other, str(database)], check=True, timeout=60)  # noqa: S603
    assert (tmp_path / "engage.sqlite3-shm").exists(), (
        "another process took our database for unused"
    )
    ours.close()
