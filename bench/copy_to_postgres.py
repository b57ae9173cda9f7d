"""Copy a generated SQLite bench database into an empty PostgreSQL database (issue 17).

    ENGAGE_DATA_DIR=/tmp/engage-bench-100000 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/engage_bench_100000 \\
        .venv/bin/python -m bench.copy_to_postgres /tmp/engage-bench-100000/engage.sqlite3

The generator spends about 21 ms of Python a client (the demo's story, the encryption, the
blind index), so 100,000 clients take over an hour a core whichever database they go to. The
rows it wrote to SQLite are the rows PostgreSQL would hold, so this copies them, stored values
as they are: the ciphertexts stay valid under the same `ENGAGE_DATA_DIR`'s keys.

It migrates the target first, refuses it if it holds cases (it would empty them), and
empties every table `migrate` filled (content types included, so their ids are SQLite's).
It copies each table with `COPY`, the triggers off
(`session_replication_role`: neither the foreign keys nor the audit triggers fire on rows
already checked in SQLite). It computes the hash chains of the audit log and the change
history again in PostgreSQL's own text of the values (`_seal_again`), moves every sequence
past its table's ids and gathers the planner's statistics.

Written by hand because Django's `dumpdata`/`loaddata` go through every model instance,
decrypting and encrypting again: longer than generating.
"""

import argparse
import os
import sqlite3
import sys
import time
from io import StringIO

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage.settings")

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from engage.cases.models import Case  # noqa: E402
from engage.lib import chain  # noqa: E402
from engage.lib.scoping import scopes_disabled  # noqa: E402

KEPT = {"django_migrations"}  # as `migrate` wrote them for this database
BATCH = 20_000


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables_of(source: sqlite3.Connection) -> dict[str, list[str]]:
    names = [
        name
        for (name,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith("sqlite_")
    ]
    return {
        name: [column[1] for column in source.execute(f"PRAGMA table_info({_identifier(name)})")]
        for name in names
    }


def _target_columns() -> dict[str, dict[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        )
        found: dict[str, dict[str, str]] = {}
        for table, column, kind in cursor.fetchall():
            found.setdefault(table, {})[column] = kind
    return found


def _converter(kind: str):
    if kind == "boolean":
        return lambda value: None if value is None else bool(value)
    return None


def copy(path: str, *, seal: bool = True) -> dict[str, int]:
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to the PostgreSQL database to copy into.")
    call_command("migrate", verbosity=0)
    with scopes_disabled():
        if Case.objects.exists():
            # It empties every table first: never a database that holds cases (a real one).
            raise SystemExit("The PostgreSQL database already holds cases: copy into an empty one.")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = _tables_of(source)
    target = _target_columns()
    copied: dict[str, int] = {}
    shared = sorted(set(tables) & set(target) - KEPT)
    missing = sorted(set(target) - set(tables) - KEPT)
    if missing:
        raise SystemExit(f"Tables missing from the SQLite database: {', '.join(missing)}")
    for name in shared:
        if absent := sorted(set(target[name]) - set(tables[name])):
            raise SystemExit(f"{name}: columns missing from the SQLite database: {absent}")
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("TRUNCATE " + ", ".join(map(_identifier, shared)) + " CASCADE")
        for name in shared:
            columns = [column for column in tables[name] if column in target[name]]
            converters = [_converter(target[name][column]) for column in columns]
            converting = any(converters)
            quoted = ", ".join(_identifier(column) for column in columns)
            # The names are the databases' own, read from their catalogues, quoted.
            rows = source.execute(f"SELECT {quoted} FROM {_identifier(name)}")  # noqa: S608
            count = 0
            with cursor.copy(f"COPY {_identifier(name)} ({quoted}) FROM STDIN") as copying:
                while batch := rows.fetchmany(BATCH):
                    for row in batch:
                        if converting:
                            row = tuple(
                                convert(value) if convert else value
                                for convert, value in zip(converters, row, strict=True)
                            )
                        copying.write_row(row)
                    count += len(batch)
            copied[name] = count
        if seal:
            _seal_again(cursor)
        cursor.execute("SET session_replication_role = DEFAULT")
    _reset_sequences()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return copied


def _seal_again(cursor) -> None:
    """Compute the hash chains of the copied tables again, as PostgreSQL writes them: each
    row's digest is of the text its database gives its values (`engage.lib.chain`), and
    SQLite's text of a UUID, a flag or a number is not PostgreSQL's. The rows were checked
    in SQLite as they were written; `engage verify_audit` checks the copy."""
    for spec in chain.chained():
        table = _identifier(chain.table_of(spec.label))
        columns = ", ".join(f"{column} = NULL" for column in chain.CHAIN_COLUMNS)
        cursor.execute(f"UPDATE {table} SET {columns}")  # noqa: S608 (the model's own table)
        chain.seal_existing(spec.label, connection)


def _reset_sequences() -> None:
    out = StringIO()
    for config in apps.get_app_configs():
        if any(True for _model in config.get_models()):
            call_command(
                "sqlsequencereset", config.label, stdout=out, stderr=StringIO(), no_color=True
            )
    statements = [line for line in out.getvalue().splitlines() if line.startswith("SELECT")]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sqlite", help="the generated bench database (engage.sqlite3)")
    parser.add_argument(
        "--no-seal",
        action="store_true",
        help="keep the hash chains as SQLite wrote them: quicker (sealing 5.5 million changes "
        "again at 100,000 clients takes longer than the copy), but `engage verify_audit` then "
        "reports them altered; the pages and jobs run the same",
    )
    arguments = parser.parse_args(argv)
    started = time.perf_counter()
    copied = copy(arguments.sqlite, seal=not arguments.no_seal)
    print(
        f"{sum(copied.values()):,} rows in {len(copied)} tables: "
        f"{time.perf_counter() - started:.0f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
