"""Rows inserted with one `executemany` of values that their own fields prepared.

Written by hand because `bulk_create` does two things in one call that some writers need
apart, or not at all:

- It prepares every value through its insert compiler, building each batch's statement
  text and parameters anew: for wide rows that are mostly empty (a network dataset's rows
  as they were kept before `mel.models.SubmissionRows`) most of an import's time (issue 17),
  and a good part of a caseload's import (`cases.services.register_referrals`).
- It prepares them inside the call, so inside the writer's transaction. The bench's
  generator prepares a team's rows (their encryption included) before it takes SQLite's one
  write lock, so that several processes encrypt at once while one writes
  (`bench/generate.py`).

Each value is still prepared by its own field (`pre_save`, `get_db_prep_save`: encryption,
ids in the database's form), exactly as `bulk_create` does; related objects' ids are taken
as `bulk_create` takes them. No signal is sent, as with `bulk_create`, and ids the database
would give (an auto field left empty) are not read back.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from django.db import connections, router
from django.db.models import Expression, Field, Model
from django.db.models.fields import AutoFieldMixin


@dataclass(frozen=True)
class Insert:
    """An INSERT of prepared rows, to run when the writer is ready (`run`)."""

    alias: str
    sql: str
    params: list[list[Any]]
    rows: list[Model]

    def run(self) -> None:
        """Insert the rows, and mark them as saved."""
        if self.params:
            with connections[self.alias].cursor() as cursor:
                # Values that each field prepared (tests/lib/test_bulk.py reads them back raw
                # and through the model): what the rule guards against.
                cursor.executemany(self.sql, self.params)  # nosemgrep: raw-sql
        for row in self.rows:
            row._state.adding = False
            row._state.db = self.alias


def prepare_insert(model: type[Model], rows: Iterable[Model]) -> Insert:
    """Prepare the INSERT of `rows` (instances of `model`, not saved yet).

    An empty text is prepared once per field (an import's rows are mostly empty columns);
    every other value by its field, for every row.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    rows = list(rows)
    fields = list(model._meta.concrete_fields)
    if isinstance(model._meta.pk, AutoFieldMixin):
        given = {row.pk is not None for row in rows}
        if given == {True, False}:
            # `bulk_create` inserts the two kinds apart; one statement cannot.
            raise ValueError(f"{model.__name__}: either every row has its id or none")
        if given == {False}:  # ids the database gives: left to it (and not read back)
            fields.remove(model._meta.pk)
    sql = _insert_sql(model, fields, connection)
    blanks: dict[str, Any] = {}  # by column: an empty text as its field prepares it

    def prepared(field: Field[Any, Any], value: Any) -> Any:
        if isinstance(value, Expression):
            raise ValueError(f"{model.__name__}.{field.name}: plain values only")
        if value != "":
            return field.get_db_prep_save(value, connection)
        if field.column not in blanks:
            blanks[field.column] = field.get_db_prep_save(value, connection)
        return blanks[field.column]

    params = []
    for row in rows:
        # Django's own step of `bulk_create` (not in its stubs): a related object's id.
        row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        params.append([prepared(field, field.pre_save(row, True)) for field in fields])
    return Insert(alias, sql, params, rows)


def updating(insert: Insert, model: type[Model], update: Sequence[str]) -> Insert:
    """`insert` (of `model`'s rows) where a row whose primary key is taken already updates that
    row's fields `update` instead (`ON CONFLICT ... DO UPDATE`, as SQLite and PostgreSQL both
    write it): `bulk_create(update_conflicts=True)` with its values prepared before the
    writer's transaction (`mel.dataset.case_rows.keep`)."""
    quote = connections[insert.alias].ops.quote_name
    concrete = {field.name: field.column for field in model._meta.concrete_fields}
    if not update or not set(update) <= set(concrete):
        raise ValueError(f"{model.__name__}: name the fields a taken key updates, not {update}")
    columns = [quote(concrete[name]) for name in update]
    suffix = " ON CONFLICT ({}) DO UPDATE SET {}".format(
        quote(model._meta.pk.column), ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    )
    return replace(insert, sql=insert.sql + suffix)


def prepare_values(
    model: type[Model], names: Sequence[str], values: Iterable[Sequence[Any]]
) -> Insert:
    """Prepare the INSERT of rows given as values of the fields `names` (a foreign key by its
    name, given the related object's id), in that order: each value prepared by its field as
    `prepare_insert` prepares it, without a model instance per row.

    For narrow rows written by the hundred thousand, where building the instances costs more
    than preparing and inserting them: a caseload's search tokens, some 19 a person
    (`cases.search.insert_tokens`; issue 16, the 10,000-row import test). Every concrete field
    but an id the database gives must be named: nothing is made at saving (no `pre_save`, so
    no `auto_now` nor default), and the rows are not read back as instances.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [model._meta.get_field(name) for name in names]
    if not all(isinstance(field, Field) and field.concrete for field in fields):
        raise ValueError(f"{model.__name__}: {names} are not all concrete fields")
    concrete = cast(list[Field[Any, Any]], fields)
    expected = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, AutoFieldMixin))
    ]
    if sorted(field.name for field in concrete) != sorted(field.name for field in expected):
        raise ValueError(
            f"{model.__name__}: name every field but the id the database gives, "
            f"{sorted(field.name for field in expected)}"
        )
    sql = _insert_sql(model, concrete, connection)
    prepare = [field.get_db_prep_save for field in concrete]
    params = []
    for row in values:
        if len(row) != len(prepare):
            raise ValueError(f"{model.__name__}: {len(prepare)} values a row, not {len(row)}")
        if any(isinstance(value, Expression) for value in row):
            raise ValueError(f"{model.__name__}: plain values only")
        params.append([each(value, connection) for each, value in zip(prepare, row, strict=True)])
    return Insert(alias, sql, params, [])


def _insert_sql(model: type[Model], fields: Sequence[Field[Any, Any]], connection: Any) -> str:
    """The INSERT of one row of `fields`, its values as parameters."""
    quote = connection.ops.quote_name
    return "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (the model's own names)
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
