"""Facts that apps above `cases` show on the case page, read in the case's own query.

An app's card on the case page (a template tag of its own, so `cases` does not import it) would
otherwise run a query for a yes or a no about the case. It registers an annotation instead,
made for the user reading the page, and its tag reads the annotated attribute (issue 17's page
budgets). Each fact must start from the user's scope like any other query of personal data.
"""

from collections.abc import Callable, Mapping

from django.db.models import QuerySet
from django.db.models.expressions import BaseExpression

from engage.accounts.models import User
from engage.cases.models import Case

Fact = Callable[[User], Mapping[str, BaseExpression]]
_facts: list[Fact] = []


def register(fact: Fact) -> None:
    _facts.append(fact)


def annotate(cases: QuerySet[Case], user: User) -> QuerySet[Case]:
    """`cases` with every registered fact for `user` as an annotation."""
    for fact in _facts:
        cases = cases.annotate(**fact(user))
    return cases
