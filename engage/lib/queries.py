"""Query expressions Django does not have, for plans that stay on indexes as the data grows."""

from typing import Any

from django.db.models import BooleanField, F, Func, QuerySet, Subquery
from django.db.models.sql.compiler import SQLCompiler


class OneOf(Func):
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
        super().__init__(F(column), Subquery(queryset))

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        (column, column_params), (subquery, subquery_params) = self._compiled(compiler)
        return f"{column} IN {subquery}", (*column_params, *subquery_params)

    def as_postgresql(
        self, compiler: SQLCompiler, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        (column, column_params), (subquery, subquery_params) = self._compiled(compiler)
        return f"{column} = ANY(ARRAY{subquery})", (*column_params, *subquery_params)

    def _compiled(self, compiler: SQLCompiler) -> list[tuple[str, Any]]:
        return [compiler.compile(expression) for expression in self.get_source_expressions()]
