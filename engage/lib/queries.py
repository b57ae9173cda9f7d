"""Query expressions Django does not have, for plans that stay on indexes as the data grows;
and several small querysets read in one query (`read_together`)."""

import datetime
import functools
import json
from decimal import Decimal
from typing import Any

from django.db.models import (
    BinaryField,
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    DurationField,
    Expression,
    F,
    Func,
    IntegerField,
    JSONField,
    Model,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.sql.compiler import SQLCompiler
from django.utils.dateparse import parse_datetime

Compiled = tuple[str, Any]  # an expression's SQL and its parameters


class _PerDatabase(Func):
    """An expression written once for SQLite (`sqlite`) and once for PostgreSQL
    (`postgresql`), each given its sources compiled: (SQL, parameters) each."""

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        return self.sqlite(*self._compiled(compiler))

    def as_postgresql(
        self, compiler: SQLCompiler, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        return self.postgresql(*self._compiled(compiler))

    def sqlite(self, *sources: Compiled) -> tuple[str, tuple[Any, ...]]:
        raise NotImplementedError

    def postgresql(self, *sources: Compiled) -> tuple[str, tuple[Any, ...]]:
        raise NotImplementedError

    def _compiled(self, compiler: SQLCompiler) -> list[Compiled]:
        return [compiler.compile(expression) for expression in self.get_source_expressions()]


class OneOf(_PerDatabase):
    """`column` is one of the values `queryset` selects: `column IN (SELECT ...)`, and on
    PostgreSQL `column = ANY(ARRAY(SELECT ...))`.

    The two mean the same. They differ in how PostgreSQL plans them beside an `OR`, as in
    `Case.objects.visible_to` ("assigned to me, or in a household of mine"): it cannot turn an
    `IN (SELECT ...)` there into a join, so it filters every row of the organisation with it,
    guesses that half of them pass, and plans the rest of the query for thousands of cases
    (a hash join reading every person of the network, issue 17's bench at 10,000 clients).
    The array is computed once, before the query, and `= ANY` of it is an index condition,
    so both sides of the `OR` are index scans, counted as the few rows they are.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, queryset: QuerySet[Any]) -> None:
        # Without the model's default order: a set of values has none, and the database would
        # sort them for nothing (Case's "-referral_date", in every query of a case). A sliced
        # queryset keeps its order, which decides the rows it selects.
        if not queryset.query.is_sliced:
            queryset = queryset.order_by()
        super().__init__(F(column), Subquery(queryset))

    def sqlite(self, *sources: Compiled) -> tuple[str, tuple[Any, ...]]:
        (column, column_params), (subquery, subquery_params) = sources
        return f"{column} IN {subquery}", (*column_params, *subquery_params)

    def postgresql(self, *sources: Compiled) -> tuple[str, tuple[Any, ...]]:
        (column, column_params), (subquery, subquery_params) = sources
        return f"{column} = ANY(ARRAY{subquery})", (*column_params, *subquery_params)


class AmongValues(Func):
    """`column` is one of `values`, a list read before, given as one parameter: on PostgreSQL
    `column = ANY(%s)` of an array, on SQLite `column IN (SELECT value FROM json_each(%s))` of
    a JSON array.

    Django's `__in` of a list makes a statement with a parameter a value, so its text changes
    with the list's length, and PostgreSQL prepares and plans it again for each length; SQLite
    refuses more than 32,766 parameters. One parameter is one statement text for any number of
    values: prepared once on a connection, then planned for good (the approval queue's records
    by the ids of the cases a supervisor may see, issue 17).
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, values: list[Any]) -> None:
        super().__init__(F(column))
        self.values = list(values)

    def _column(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any], Any]:
        (column,) = self.get_source_expressions()
        sql, params = compiler.compile(column)
        prepared = [column.output_field.get_db_prep_value(v, connection) for v in self.values]
        return sql, list(params), prepared

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        column, params, values = self._column(compiler, connection)
        # The column is Django's compiled name; the values are one parameter.
        sql = f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, (*params, json.dumps(values))

    def as_postgresql(
        self, compiler: SQLCompiler, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        column, params, values = self._column(compiler, connection)
        return f"{column} = ANY(%s)", (*params, values)


class UuidText(_PerDatabase):
    """A UUID column's text as `str(uuid)` writes it (lowercase, with its four dashes), on
    either database: PostgreSQL's text of a `uuid` is that already; SQLite keeps Django's 32 hex
    digits, given their dashes here. Made by the database, so a query of thousands of ids does
    not make a `UUID` of each in Python only to write it back as text."""

    output_field = CharField()

    def __init__(self, column: str) -> None:
        super().__init__(F(column))

    def sqlite(self, *sources: Compiled) -> tuple[str, tuple[Any, ...]]:
        ((sql, params),) = sources
        parts = ("1, 8", "9, 4", "13, 4", "17, 4", "21, 12")
        # The column is Django's compiled name; no value of the caller is in the text.
        text = " || '-' || ".join(f"substr({sql}, {part})" for part in parts)
        return f"({text})", tuple(params) * len(parts)

    def postgresql(self, *sources: Compiled) -> tuple[str, tuple[Any, ...]]:
        ((sql, params),) = sources
        return f"({sql})::text", tuple(params)


class DaysBetween(_PerDatabase):
    """The whole days from the date `earlier` to the date `later` (negative when `later` comes
    first), on either database: PostgreSQL subtracts dates as days; SQLite keeps dates as ISO
    text, whose Julian day numbers are subtracted. Django's own date subtraction gives a
    duration, which SQLite works out in a Python function called once a row."""

    output_field = IntegerField()

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)

    def sqlite(self, *sources: Compiled) -> tuple[str, tuple[Any, ...]]:
        (later, later_params), (earlier, earlier_params) = sources
        return (
            f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)",
            (*later_params, *earlier_params),
        )

    def postgresql(self, *sources: Compiled) -> tuple[str, tuple[Any, ...]]:
        (later, later_params), (earlier, earlier_params) = sources
        return f"(({later})::date - ({earlier})::date)", (*later_params, *earlier_params)


# PostgreSQL's JSONB_BUILD_ARRAY takes 100 arguments: one for each column.
_MOST_COLUMNS = 100
_NOT_IN_JSON = (BinaryField, DurationField)


def read_together(*querysets: QuerySet[Any]) -> list[list[Any]]:
    """The rows of each of `querysets`, as its model's instances in its order, read in one query.

    For a page that shows a few rows each of several tables (the case page: the case's
    assessments, decisions, closures and plan reviews). Each queryset becomes one part of a
    `UNION ALL`: its number, and its row's columns as one JSON array (`_Row`, on both
    databases; an array rather than an object, whose names would double what the query builds
    and compiles), so that tables of different columns share the query. Each value is then
    converted as Django converts it from its column: decrypted by its field (`from_db_value`),
    parsed by `to_python`; a datetime stored without its zone is UTC, as Django stores it.

    Django has no such thing (`prefetch_related` reads a table a query), nor does a library we
    know of: hence here. Each part keeps its own filters, so a scoped manager's filter stays in
    its part. Meant for querysets of a few rows: every row comes back whole, read by Python.
    """
    parts = []
    for number, queryset in enumerate(querysets):
        fields = queryset.model._meta.concrete_fields
        if len(fields) > _MOST_COLUMNS:
            raise ValueError(f"{queryset.model.__name__} has more columns than one object holds")
        if unread := [field.name for field in fields if isinstance(field, _NOT_IN_JSON)]:
            # Bytes have no JSON form; a duration is a number on SQLite, a text on PostgreSQL.
            raise ValueError(f"read_together does not read {', '.join(unread)}")
        row = _Row(queryset.model)
        parts.append(
            queryset.order_by()
            .annotate(read_together_part=Value(number), read_together_row=row)
            .values_list("read_together_part", "read_together_row")
        )
    read: list[list[Any]] = [[] for _ in querysets]
    if not parts:
        return read
    for number, row in parts[0].union(*parts[1:], all=True):
        read[number].append(_instance(querysets[number], row))
    for queryset, rows in zip(querysets, read, strict=True):
        _sort(rows, list(queryset.query.order_by) or list(queryset.model._meta.ordering))
    return read


class _Row(Expression):
    """The columns of a part's own table as one JSON array: `JSON_ARRAY(...)` on SQLite,
    `JSONB_BUILD_ARRAY(...)` on PostgreSQL, each column named through the query's alias of
    its table. A JSON column is read as its text (PostgreSQL would nest it, SQLite give its
    text); a decimal as its text too, not as a JSON number (a float).

    Django's `JSONArray` of an `F()` a column makes the same array, and wraps each column in a
    cast to its own type on PostgreSQL (for parameters, which a column is not). Resolving and
    compiling those 30 to 60 expressions a part was a tenth of the case page's time (issue 17);
    this is one expression a part, and its text is joined from the model's columns. Django has
    no expression for "every column of the row", hence here. (`JSONArray` on SQLite would also
    check, once a connection, that the database has JSON functions: a query of its own inside
    a page's count. SQLite has them built in since 3.38, Python 3.11's own is newer; Django
    checks them at start-up for the JSON fields anyway.)
    """

    output_field = JSONField()

    def __init__(self, model: type[Model]) -> None:
        super().__init__()
        self.model = model

    def as_sql(
        self, compiler: SQLCompiler, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        return self._array(compiler, connection, "JSON_ARRAY", "CAST({} AS TEXT)"), ()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        return self._array(compiler, connection, "JSONB_BUILD_ARRAY", "({})::text"), ()

    def _array(self, compiler: SQLCompiler, connection: Any, function: str, text: str) -> str:
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        columns = []
        for column, as_text in _columns(self.model):
            name = f"{table}.{connection.ops.quote_name(column)}"
            columns.append(text.format(name) if as_text else name)
        return f"{function}({', '.join(columns)})"


@functools.cache
def _columns(model: type[Model]) -> tuple[tuple[str, bool], ...]:
    """Each concrete column of `model`, and whether it is read as its text (`_Row`)."""
    return tuple(
        (field.column, isinstance(field, JSONField | DecimalField))
        for field in model._meta.concrete_fields
    )


def _instance(queryset: QuerySet[Any], row: list[Any]) -> Any:
    fields = queryset.model._meta.concrete_fields
    values = [_from_json(field, value) for field, value in zip(fields, row, strict=True)]
    return queryset.model.from_db(queryset.db, [field.attname for field in fields], values)


def _from_json(field: Any, value: Any) -> Any:
    if value is None:
        return None
    if getattr(field, "encrypted", False):
        return field.from_db_value(value, None, None)
    if isinstance(field, JSONField):
        return json.loads(value, cls=field.decoder)
    if isinstance(field, DecimalField):
        # With its decimal places, as Django's converters give it from the column.
        return Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
    if isinstance(field, DateTimeField):
        moment = parse_datetime(value)
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment
    return field.to_python(value)


def _sort(rows: list[Any], ordering: list[Any]) -> None:
    """Order `rows` as `ordering` says, in Python: texts by their code points (a database's
    collation may differ on ties), an empty value above every other as PostgreSQL orders it."""
    for name in reversed(ordering):
        if not isinstance(name, str) or "__" in name or name == "?":
            raise ValueError(f"read_together orders by a model's own fields, not {name!r}")
        attribute = name.lstrip("-")
        rows.sort(
            key=lambda row: (
                (value := getattr(row, attribute)) is None,
                0 if value is None else value,
            ),
            reverse=name.startswith("-"),
        )


def keep_as_prefetched(instance: Model, name: str, rows: list[Any]) -> None:
    """Give `instance.<name>` (a reverse foreign key) the `rows` already read, as
    `prefetch_related(name)` would: `.all()` gives them without a query, each knowing
    `instance`. (How Django's `prefetch_related_objects` keeps what it read, whose
    attributes are not public API: the test of `read_together` checks them.)"""
    manager = getattr(instance, name)
    for row in rows:
        manager.field.set_cached_value(row, instance)
    queryset = manager.all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    instance._prefetched_objects_cache[manager.field.remote_field.cache_name] = queryset  # type: ignore[attr-defined]
