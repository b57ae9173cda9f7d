"""The bench's copy of a generated SQLite database into PostgreSQL (bench/copy_to_postgres.py):
every row, its ciphertexts readable with the same keys, the audit log's chain sealed again and
verified, the sequences past the copied ids. Run in the PostgreSQL
run of the suite, in a database of its own."""

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="copies into PostgreSQL: the PostgreSQL run"
)

ROOT = Path(__file__).resolve().parent.parent
NAMES = (
    "from engage.cases.models import Person\n"
    "from engage.lib.scoping import scopes_disabled\n"
    "with scopes_disabled():\n"
    "    print(sorted(p.given_name + ' ' + p.family_name for p in Person.objects.all()))\n"
)

NEW_TOKEN = (
    "from engage.cases.models import Person, SearchToken\n"
    "from engage.lib.scoping import scopes_disabled\n"
    "with scopes_disabled():\n"
    "    person = Person.objects.first()\n"
    "    SearchToken.objects.create(person=person, organisation_id=person.organisation_id,\n"
    "                               digest='new')\n"
)


def _run(environment: dict[str, str], *command: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own commands, fixed arguments)
        [sys.executable, *command], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_it_copies_every_row_readable_with_the_same_keys_and_the_chain_intact(tmp_path):
    name = f"engage_copy_{uuid.uuid4().hex[:12]}"
    server = urlsplit(os.environ["DATABASE_URL"])._replace(path="").geturl()
    base = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    base["DJANGO_SETTINGS_MODULE"] = "engage.settings"
    base["ENGAGE_DATA_DIR"] = str(tmp_path)
    _run(base, "-m", "bench.generate", "--clients", "14")
    source = tmp_path / "engage.sqlite3"
    admin = psycopg.connect(f"{server}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        target = {**base, "DATABASE_URL": f"{server}/{name}"}
        _run(target, "-m", "bench.copy_to_postgres", str(source))
        # A second copy into a database that holds cases is refused: it would empty them.
        again = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
            [sys.executable, "-m", "bench.copy_to_postgres", str(source)],
            cwd=ROOT, env=target, capture_output=True, text=True,
        )  # fmt: skip
        assert again.returncode != 0 and "already holds cases" in again.stderr

        with sqlite3.connect(source) as lite, psycopg.connect(f"{server}/{name}") as copied:
            for table in ("cases_person", "cases_contact", "cases_searchtoken", "audit_auditevent"):
                expected = lite.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
                found = copied.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
                assert expected and found == expected, table
        # Decrypted with the same folder's keys, the names are the same in both.
        assert _run(target, "-c", "import django; django.setup()\n" + NAMES) == _run(
            base, "-c", "import django; django.setup()\n" + NAMES
        )
        # The audit log's hash chain, copied, still verifies.
        _run(target, "-m", "engage", "verify_audit")
        # A new row takes an id of its own: the sequences were moved past the copied ids.
        _run(target, "-c", "import django; django.setup()\n" + NEW_TOKEN)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
