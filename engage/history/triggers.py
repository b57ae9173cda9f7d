"""The triggers that write the change history, in the SQL of each database Engage runs on.

Why hand-written and not django-pghistory / django-pgtrigger: those are PostgreSQL-only, and
Engage also runs (and is tested) on SQLite, its embedded default. The SQL is generated from the
models, so each migration that installs it sees the columns of its time:

- PostgreSQL: one PL/pgSQL function per table, diffing `to_jsonb(OLD)` and `to_jsonb(NEW)`,
  so a column added later is captured without a new trigger.
- SQLite: three triggers per table (insert, update, delete) that list the columns. A migration
  that adds a column to a tracked table must therefore end with
  `RunPython(install_triggers, remove_triggers)` again; `tests/history/` fails until it does.

Which models are tracked: the same rule as the erasure and access tests use for "a model
holding data about a person": the person itself, and every model with a foreign key to a
person, a case, a case plan or a goal (except `SearchToken`, a keyed hash derived from the
person and erased with them). Each history row also says whom it is about (organisation, case,
person), found through those keys, so it can be scoped to an organisation and erased with the
person.
"""

# The SQL below is put together from model metadata (table and column names), never from
# anything a user typed, hence the `noqa: S608`.

from collections.abc import Callable
from functools import cache
from typing import cast

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

HISTORY_TABLE = "history_change"
ABOUT = {"cases.Person", "cases.Case", "cases.CasePlan", "cases.Goal"}
NOT_TRACKED = {"cases.SearchToken", "history.Change", "audit.AuditEvent"}


def tracked_models(apps: Apps = global_apps) -> list[type[models.Model]]:
    found = []
    for model in apps.get_models():
        label = model._meta.label
        if label in NOT_TRACKED:
            continue
        # A relation's model is a class once the apps are loaded (not "self" or a name).
        targets = {
            cast("type[models.Model]", f.related_model)._meta.label
            for f in model._meta.concrete_fields
            if f.is_relation
        }
        if label == "cases.Person" or targets & ABOUT:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.db_table)


@cache
def tracked_tables() -> tuple[str, ...]:
    return tuple(m._meta.db_table for m in tracked_models())


def _subject(model: type[models.Model], row: str, apps: Apps) -> tuple[str, str, str]:
    """SQL for (organisation id, case id, person id) of the row called `row` in the trigger."""
    cases = apps.get_model("cases", "Case")._meta.db_table
    plans = apps.get_model("cases", "CasePlan")._meta.db_table
    goals = apps.get_model("cases", "Goal")._meta.db_table
    names = {f.name for f in model._meta.concrete_fields}
    label = model._meta.label
    if label == "cases.Person":
        return f"{row}.organisation_id", "NULL", f"{row}.id"
    if label == "cases.Case":
        return f"{row}.organisation_id", f"{row}.id", f"{row}.person_id"
    plan_person = "NULL"
    if "case" in names:
        case = f"{row}.case_id"
    elif "plan" in names:
        case = f"(SELECT case_id FROM {plans} WHERE id = {row}.plan_id)"  # noqa: S608
        plan_person = f"(SELECT person_id FROM {plans} WHERE id = {row}.plan_id)"  # noqa: S608
    elif "goal" in names:
        in_plan = f"FROM {plans} p JOIN {goals} g ON g.plan_id = p.id WHERE g.id = {row}.goal_id"
        case = f"(SELECT p.case_id {in_plan})"
        plan_person = f"(SELECT p.person_id {in_plan})"
    elif "person" in names:
        case = "NULL"
    else:
        raise ValueError(f"{label}: no way to the case or person it is about")
    case_person = f"(SELECT person_id FROM {cases} WHERE id = {case})"  # noqa: S608
    own_person = f"{row}.person_id" if "person" in names else plan_person
    person = f"COALESCE({own_person}, {case_person})"
    if "organisation" in names:
        organisation = f"{row}.organisation_id"
    elif "person" in names and case == "NULL":
        people = apps.get_model("cases", "Person")._meta.db_table
        organisation = f"(SELECT organisation_id FROM {people} WHERE id = {row}.person_id)"  # noqa: S608
    else:
        organisation = f"(SELECT organisation_id FROM {cases} WHERE id = {case})"  # noqa: S608
    return organisation, case, person


def _check(model: type[models.Model]) -> None:
    if model._meta.pk.get_internal_type() != "UUIDField":
        raise ValueError(f"{model._meta.label}: the history expects a UUID primary key")


COLUMNS = (
    "model, object_id, operation, at, before, after, actor_id, request_id, "
    "organisation_id, case_id, person_id"
)


# -- PostgreSQL ------------------------------------------------------------------------------

# Two UPDATEs only get through: the hash chain's seal filling in its columns (engage/lib/chain.py)
# and erasure blanking the old and new values (the rest of the row stays, and stays checked).
# DELETE never does: on PostgreSQL the test runner empties tables with TRUNCATE, which `flush`
# runs with triggers off (see the history's `flush` command).
PG_APPEND_ONLY = [
    """CREATE OR REPLACE FUNCTION history_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
            AND (to_jsonb(OLD) - ARRAY['seq', 'digest', 'chain', 'values_digest'])
                = (to_jsonb(NEW) - ARRAY['seq', 'digest', 'chain', 'values_digest']) THEN
            RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' AND current_setting('engage.purging', true) = 'on'
            AND NEW.before IS NULL AND NEW.after IS NULL
            AND (to_jsonb(OLD) - ARRAY['before', 'after'])
                = (to_jsonb(NEW) - ARRAY['before', 'after']) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the change history is append-only';
    END;
    $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS history_append_only ON {HISTORY_TABLE}",
    f"""CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON {HISTORY_TABLE}
    FOR EACH ROW EXECUTE FUNCTION history_append_only()""",
]


def _pg_install(model: type[models.Model], apps: Apps) -> list[str]:
    table = model._meta.db_table
    organisation, case, person = _subject(model, "r", apps)
    name = f"history_{table}"
    return [
        f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
        DECLARE
            r record;
            o jsonb;
            n jsonb;
            b jsonb;
            a jsonb;
        BEGIN
            IF current_setting('engage.purging', true) = 'on' THEN
                RETURN NULL;
            END IF;
            IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
            IF TG_OP = 'INSERT' THEN
                a := to_jsonb(NEW);
            ELSIF TG_OP = 'DELETE' THEN
                b := to_jsonb(OLD);
            ELSE
                o := to_jsonb(OLD);
                n := to_jsonb(NEW);
                SELECT jsonb_object_agg(key, value), jsonb_object_agg(key, n -> key)
                    INTO b, a FROM jsonb_each(o) WHERE n -> key IS DISTINCT FROM value;
                IF b IS NULL THEN
                    RETURN NULL;
                END IF;
            END IF;
            INSERT INTO {HISTORY_TABLE} ({COLUMNS}) VALUES (
                '{model._meta.label_lower}', r.id, lower(TG_OP), now(), b, a,
                NULLIF(current_setting('engage.actor', true), '')::uuid,
                COALESCE(current_setting('engage.request', true), ''),
                {organisation}, {case}, {person});
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql""",  # noqa: S608
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"""CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {name}()""",
    ]


def _pg_remove(model: type[models.Model]) -> list[str]:
    table = model._meta.db_table
    return [
        f"DROP TRIGGER IF EXISTS history_{table} ON {table}",
        f"DROP FUNCTION IF EXISTS history_{table}()",
    ]


# -- SQLite ----------------------------------------------------------------------------------


def _sqlite_append_only(apps: Apps) -> list[str]:
    """The guards on the history table, for its columns as they stand in `apps`.

    Updates: the seal of the hash chain and erasure's blanking of the values only (see
    PG_APPEND_ONLY). Deletes: only while `flush` empties the database (the test runner on
    SQLite flushes with DELETE); `engage_flushing()` is Engage's own SQL function, so another
    program opening the file cannot delete either (it can drop the trigger: see docs/security.md).
    """
    change = apps.get_model("history", "Change")
    columns = [f.column for f in change._meta.concrete_fields]

    def unchanged(but: set[str]) -> str:
        return " AND ".join(f'OLD."{c}" IS NEW."{c}"' for c in columns if c not in but)

    allowed = []
    if "seq" in columns:
        seal = {"seq", "digest", "chain", "values_digest"}
        allowed.append(f"(OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {unchanged(seal)})")
    allowed.append(
        "(engage_purging() AND NEW.before IS NULL AND NEW.after IS NULL AND "
        f"{unchanged({'before', 'after'})})"
    )
    return [
        "DROP TRIGGER IF EXISTS history_no_update",
        f"""CREATE TRIGGER history_no_update BEFORE UPDATE ON {HISTORY_TABLE}
        WHEN NOT ({" OR ".join(allowed)})
        BEGIN SELECT RAISE(ABORT, 'the change history is append-only'); END""",
        "DROP TRIGGER IF EXISTS history_no_delete",
        f"""CREATE TRIGGER history_no_delete BEFORE DELETE ON {HISTORY_TABLE}
        WHEN NOT engage_flushing()
        BEGIN SELECT RAISE(ABORT, 'the change history is append-only'); END""",
    ]


SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _sqlite_install(
    model: type[models.Model], apps: Apps, leave_out: frozenset[str] = frozenset()
) -> list[str]:
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if f.column not in leave_out]
    label = model._meta.label_lower
    statements = []
    for operation, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
        organisation, case, person = _subject(model, row, apps)
        if operation == "update":
            pairs = " UNION ALL ".join(
                f'SELECT \'{c}\' AS k, OLD."{c}" AS o, NEW."{c}" AS n' for c in columns
            )
            values = "json_group_object(k, o), json_group_object(k, n)"
            source = f"FROM ({pairs}) WHERE o IS NOT n HAVING count(*) > 0"
        else:
            whole = "json_object(" + ", ".join(f"'{c}', {row}.\"{c}\"" for c in columns) + ")"
            values = f"NULL, {whole}" if operation == "insert" else f"{whole}, NULL"
            source = ""
        name = f"history_{table}_{operation}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"""CREATE TRIGGER {name} AFTER {operation.upper()} ON {table}
            WHEN NOT engage_purging()
            BEGIN
                INSERT INTO {HISTORY_TABLE} ({COLUMNS})
                SELECT '{label}', {row}.id, '{operation}', {SQLITE_NOW}, {values},
                    engage_actor(), COALESCE(engage_request(), ''), {organisation}, {case},
                    {person}
                {source};
            END""",
        ]
    return statements


def _sqlite_remove(model: type[models.Model]) -> list[str]:
    table = model._meta.db_table
    return [f"DROP TRIGGER IF EXISTS history_{table}_{op}" for op in ("insert", "update", "delete")]


# -- for migrations --------------------------------------------------------------------------


def install_triggers(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """(Re)create the history triggers of every tracked model, as the models stand now."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"no change-history triggers for {vendor}")
    statements = list(PG_APPEND_ONLY) if vendor == "postgresql" else _sqlite_append_only(apps)
    for model in tracked_models(apps):
        _check(model)
        statements += (
            _pg_install(model, apps) if vendor == "postgresql" else _sqlite_install(model, apps)
        )
    for statement in statements:
        schema_editor.execute(statement, params=None)  # nosemgrep: raw-sql (schema)


def column_added(label: str, column: str) -> Callable[[Apps, BaseDatabaseSchemaEditor], None]:
    """The reverse of a migration that made the triggers again for a column added to a tracked
    table: on SQLite, that table's triggers without the column, as they were before, so that
    the column's own migration can be reversed (SQLite refuses to drop a column a trigger
    names). PostgreSQL's triggers name no column."""

    def reverse(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "sqlite":
            return
        model = apps.get_model(label)
        for statement in _sqlite_install(model, apps, leave_out=frozenset({column})):
            schema_editor.execute(statement, params=None)  # nosemgrep: raw-sql (schema)

    return reverse


def remove_triggers(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    statements = []
    for model in tracked_models(apps):
        statements += _pg_remove(model) if vendor == "postgresql" else _sqlite_remove(model)
    if vendor == "postgresql":
        statements += [
            f"DROP TRIGGER IF EXISTS history_append_only ON {HISTORY_TABLE}",
            "DROP FUNCTION IF EXISTS history_append_only()",
        ]
    else:
        statements += [
            "DROP TRIGGER IF EXISTS history_no_update",
            "DROP TRIGGER IF EXISTS history_no_delete",
        ]
    for statement in statements:
        schema_editor.execute(statement, params=None)  # nosemgrep: raw-sql (schema)
