"""Hash chains over the append-only tables (the audit log, the change history): R23, issue 10 #6.

Each row gets, from the database itself, a position `seq` (1, 2, 3…, no gaps), a `digest` of
its content and a `chain` hash: sha256(chain of the row before + digest). A row deleted,
inserted or altered afterwards breaks the chain there, which `engage verify_audit` finds
(`verify`). Columns that erasure may blank (the history's old and new values) are hashed on
their own into `values_digest`, which the digest covers: blanking them keeps the chain whole and
the rest of the row checked.

The chain is made where nothing can skip it:

- PostgreSQL: a deferred constraint trigger seals each new row when its transaction commits,
  under an advisory lock per table, so concurrent transactions take turns only for the moment
  of their commit (no lock held while a request runs, so no deadlock with row locks). The
  sealing function is SECURITY DEFINER: it runs as the owner of the tables, so the
  application's role needs no UPDATE right on them (`engage setup_db_roles`). A statement
  trigger refuses TRUNCATE.
- SQLite: an AFTER INSERT trigger seals each row at once; SQLite lets one writer at a time, so
  that is in order. The hash is an SQL function (`engage_sha256`) that Engage registers on
  each connection; other programs opening the file do not have it, so they cannot add rows.

What the chain does not do: it is not keyed, so whoever can rewrite every row after the one
they changed (the owner of the tables, a superuser, the owner of the SQLite file) can make a
consistent chain again, and removing the last rows leaves a shorter, consistent chain.
`verify_audit` prints the head (position and hash) for the admin to note somewhere else, and
checks a noted head again with `--expect-head`.
"""

import contextlib
import contextvars
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.apps.registry import Apps
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

CHAIN_COLUMNS = ("seq", "digest", "chain", "values_digest")


@dataclass(frozen=True)
class Chained:
    label: str  # app_label.ModelName
    blankable: tuple[str, ...] = ()  # columns erasure may set to NULL, hashed on their own


_REGISTRY: dict[str, Chained] = {}


def register(label: str, *, blankable: tuple[str, ...] = ()) -> None:
    """Declare a model's table hash-chained (its migration installs the triggers)."""
    _REGISTRY[label] = Chained(label, blankable)


def chained() -> list[Chained]:
    return sorted(_REGISTRY.values(), key=lambda c: c.label)


def table_of(label: str) -> str:
    model: type[Model] = apps.get_model(label)
    return model._meta.db_table


# -- the SQL, generated from model metadata (never from anything a user typed) -----------------


def _fields(model: type[Model], spec: Chained, *, blank: bool) -> list["Field[Any, Any]"]:
    """The columns hashed, by name: the same order whether the model is historical or not."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if f.column not in CHAIN_COLUMNS and (f.column in spec.blankable) == blank
    ]
    return sorted(fields, key=lambda f: f.column)


def _quoted(field: "Field[Any, Any]", row: str, vendor: str) -> str:
    """`name='value';` for the column, or nothing when it is NULL: a column added later (NULL in
    the rows written before it) leaves their digest as it was."""
    column = f'{row}."{field.column}"'
    if vendor == "sqlite":
        text = f"quote({column})"
    elif field.get_internal_type() == "DateTimeField":
        # Not the session's time zone: the same text whoever seals or checks.
        utc = f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        text = f"quote_literal({utc})"
    else:
        text = f"quote_literal({column}::text)"
    return f"CASE WHEN {column} IS NULL THEN '' ELSE '{field.column}=' || {text} || ';' END"


def _sha256(expression: str, vendor: str) -> str:
    if vendor == "sqlite":
        return f"engage_sha256({expression})"
    return f"encode(sha256(convert_to({expression}, 'UTF8')), 'hex')"


def values_digest_sql(model: type[Model], spec: Chained, row: str, vendor: str) -> str:
    """The digest of the blankable columns of `row` ('' when the model has none)."""
    fields = _fields(model, spec, blank=True)
    if not fields:
        return "''"
    return _sha256(" || ".join(_quoted(f, row, vendor) for f in fields), vendor)


def digest_sql(model: type[Model], spec: Chained, row: str, vendor: str, values_digest: str) -> str:
    """The digest of `row`: its other columns and the digest of its blankable ones."""
    parts = [_quoted(f, row, vendor) for f in _fields(model, spec, blank=False)]
    parts.append(f"'values=' || COALESCE({values_digest}, '')")
    return _sha256(" || ".join(parts), vendor)


def chain_sql(previous: str, digest: str, vendor: str) -> str:
    return _sha256(f"COALESCE({previous}, '') || {digest}", vendor)


def _unchanged_sql(model: type[Model], vendor: str, but: tuple[str, ...]) -> str:
    """SQL true when OLD and NEW agree on every column except `but` (for the guards)."""
    if vendor == "postgresql":
        skip = ", ".join(f"'{c}'" for c in but)
        return f"(to_jsonb(OLD) - ARRAY[{skip}]) = (to_jsonb(NEW) - ARRAY[{skip}])"
    columns = [f.column for f in model._meta.concrete_fields if f.column not in but]
    return " AND ".join(f'OLD."{c}" IS NEW."{c}"' for c in columns)


def sealing_update_sql(model: type[Model], vendor: str) -> str:
    """SQL true for the one UPDATE the guards let through: the seal filling the chain columns."""
    return f"(OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {_unchanged_sql(model, vendor, CHAIN_COLUMNS)})"


def blanking_update_sql(model: type[Model], spec: Chained, vendor: str) -> str:
    """SQL true for an UPDATE that only sets the blankable columns to NULL (erasure)."""
    nulls = " AND ".join(f'NEW."{c}" IS NULL' for c in spec.blankable)
    return f"({nulls} AND {_unchanged_sql(model, vendor, spec.blankable)})"


def _model_spec(label: str, models: Apps) -> tuple[type[Model], Chained]:
    app_label, name = label.split(".")
    return models.get_model(app_label, name), _REGISTRY[label]


def install_sql(label: str, vendor: str, models: Apps = apps) -> list[str]:
    """The statements that seal each new row of `label`'s table (and refuse TRUNCATE)."""
    model, spec = _model_spec(label, models)
    table = model._meta.db_table
    name = f"{table}_seal"
    if vendor == "postgresql":
        values = values_digest_sql(model, spec, "NEW", vendor)
        digest = digest_sql(model, spec, "NEW", vendor, "v")
        return [
            f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
            DECLARE
                last_seq bigint;
                last_chain text;
                v text;
                d text;
            BEGIN
                PERFORM pg_advisory_xact_lock(hashtext('engage.chain.{table}'));
                SELECT seq, chain INTO last_seq, last_chain FROM {table}
                    WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
                v := {values};
                d := {digest};
                UPDATE {table} SET seq = COALESCE(last_seq, 0) + 1, values_digest = v,
                    digest = d, chain = {chain_sql("last_chain", "d", vendor)}
                    WHERE id = NEW.id AND seq IS NULL;
                RETURN NULL;
            END;
            $$""",  # noqa: S608
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"""CREATE CONSTRAINT TRIGGER {name} AFTER INSERT ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {name}()""",
            """CREATE OR REPLACE FUNCTION engage_no_truncate() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: it cannot be truncated', TG_TABLE_NAME;
            END;
            $$""",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION engage_no_truncate()""",
        ]
    if vendor == "sqlite":
        # `seq IS NOT NULL` lets SQLite use the partial unique index instead of a scan.
        last = f"(SELECT MAX(seq) FROM {table} WHERE seq IS NOT NULL)"  # noqa: S608
        last_chain = f"(SELECT chain FROM {table} WHERE seq = {last})"  # noqa: S608
        values = values_digest_sql(model, spec, "NEW", vendor)
        digest = digest_sql(model, spec, "NEW", vendor, values)
        return [
            f"DROP TRIGGER IF EXISTS {name}",
            f"""CREATE TRIGGER {name} AFTER INSERT ON {table}
            BEGIN
                UPDATE {table} SET seq = COALESCE({last}, 0) + 1, values_digest = {values},
                    digest = {digest}, chain = {chain_sql(last_chain, digest, vendor)}
                WHERE id = NEW.id;
            END""",  # noqa: S608
        ]
    raise NotImplementedError(f"no hash chain for {vendor}")


def remove_sql(label: str, vendor: str, models: Apps = apps) -> list[str]:
    model, _spec = _model_spec(label, models)
    table = model._meta.db_table
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_seal ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_seal()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_seal"]


# -- checking ----------------------------------------------------------------------------------


@dataclass
class Report:
    label: str
    count: int = 0
    blanked: int = 0
    head: tuple[int, str] | None = None
    broken: str = ""  # the first broken link, said plainly; empty when the chain holds


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def verify(label: str, connection: BaseDatabaseWrapper, *, chunk: int = 2000) -> Report:
    """Walk `label`'s chain in order and report its first broken link, if any."""
    model, spec = _model_spec(label, apps)
    vendor = connection.vendor
    table = model._meta.db_table
    values = values_digest_sql(model, spec, "t", vendor)
    digest = digest_sql(model, spec, "t", vendor, "t.values_digest")
    blanked = " AND ".join(f't."{c}" IS NULL' for c in spec.blankable) or "1 = 0"
    report = Report(label)
    with connection.cursor() as cursor:
        # nosemgrep: raw-sql (the chain's own columns and hashes, no personal value)
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE seq IS NULL")  # noqa: S608
        (unsealed,) = cursor.fetchone()
        # nosemgrep: raw-sql (the chain's own columns and hashes, no personal value)
        cursor.execute(
            f"SELECT t.seq, t.chain, t.digest, {digest}, t.values_digest, {values},"  # noqa: S608
            f" CASE WHEN {blanked} THEN 1 ELSE 0 END"
            f" FROM {table} t WHERE t.seq IS NOT NULL ORDER BY t.seq"
        )
        previous, expected_seq = "", 1
        while rows := cursor.fetchmany(chunk):
            for seq, chain, stored, recomputed, stored_values, values_now, is_blank in rows:
                if seq != expected_seq:
                    missing = f"{expected_seq}" + (f"-{seq - 1}" if seq - 1 > expected_seq else "")
                    report.broken = f"entries {missing} are missing (deleted) before entry {seq}"
                    return report
                if stored != recomputed:
                    report.broken = f"entry {seq} was altered (its content no longer matches)"
                    return report
                if is_blank:
                    report.blanked += 1
                elif (stored_values or "") != (values_now or ""):
                    report.broken = f"entry {seq} was altered (its values no longer match)"
                    return report
                if chain != _hash(previous + stored):
                    report.broken = f"entry {seq} does not follow entry {seq - 1} (chain broken)"
                    return report
                previous, expected_seq = chain, seq + 1
                report.count += 1
                report.head = (seq, chain)
    if unsealed:
        report.broken = f"{unsealed} entries were written without their seal (trigger disabled?)"
    return report


def head_of(label: str, connection: BaseDatabaseWrapper, seq: int) -> str | None:
    """The chain hash stored at position `seq`, or None if there is no such entry."""
    model, _spec = _model_spec(label, apps)
    with connection.cursor() as cursor:
        # nosemgrep: raw-sql (the chain's own columns and hashes, no personal value)
        cursor.execute(
            f"SELECT chain FROM {model._meta.db_table} WHERE seq = %s",  # noqa: S608
            [seq],
        )
        row = cursor.fetchone()
    return row[0] if row else None


# -- SQLite: the hash function, and the permission to empty the tables (flush only) ------------

_flushing: contextvars.ContextVar[bool] = contextvars.ContextVar("engage_flushing", default=False)


@contextlib.contextmanager
def flushing() -> Iterator[None]:
    """Let `flush` empty the append-only tables on SQLite (whose test runner flushes by DELETE)."""
    token = _flushing.set(True)
    try:
        yield
    finally:
        _flushing.reset(token)


def _sqlite_sha256(text: object) -> str | None:
    return None if text is None else _hash(str(text))


def prepare_connection(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    if connection.vendor == "sqlite":
        raw = connection.connection
        raw.create_function("engage_sha256", 1, _sqlite_sha256, deterministic=True)
        raw.create_function("engage_flushing", 0, lambda: int(_flushing.get()))


def seal_existing(label: str, connection: BaseDatabaseWrapper, models: Apps = apps) -> int:
    """Seal the rows written before the chain existed, oldest first (for the migration)."""
    model, spec = _model_spec(label, models)
    vendor = connection.vendor
    table = model._meta.db_table
    values = values_digest_sql(model, spec, "t", vendor)
    digest = digest_sql(model, spec, "t", vendor, values)
    with connection.cursor() as cursor:
        # nosemgrep: raw-sql (the chain's own columns and hashes, no personal value)
        cursor.execute(f"SELECT MAX(seq) FROM {table}")  # noqa: S608
        (last,) = cursor.fetchone()
        # nosemgrep: raw-sql (the chain's own columns and hashes, no personal value)
        cursor.execute(f"SELECT chain FROM {table} WHERE seq = %s", [last])  # noqa: S608
        previous = (cursor.fetchone() or [""])[0] or ""
        # nosemgrep: raw-sql (the chain's own columns and hashes, no personal value)
        cursor.execute(
            f"SELECT t.id, {digest} FROM {table} t WHERE t.seq IS NULL"  # noqa: S608
            " ORDER BY t.at, t.id"
        )
        rows = cursor.fetchall()
        updates = []
        for position, (pk, row_digest) in enumerate(rows, start=(last or 0) + 1):
            previous = _hash(previous + row_digest)
            updates.append([position, row_digest, previous, pk])
        in_place = values_digest_sql(model, spec, table, vendor)
        # nosemgrep: raw-sql (the chain's own columns and hashes, no personal value)
        cursor.executemany(
            f"UPDATE {table} SET seq = %s, values_digest = {in_place},"  # noqa: S608
            " digest = %s, chain = %s WHERE id = %s",
            updates,
        )
    return len(updates)
