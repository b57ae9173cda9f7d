"""`OneOf` and `AmongValues` select what `__in` selects, on both databases (engage.lib.queries)."""

import uuid

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from engage.accounts.factories import UserFactory
from engage.accounts.models import User
from engage.cases.factories import CaseFactory, days_ago
from engage.cases.models import Case, Household
from engage.lib.queries import AmongValues, OneOf

pytestmark = pytest.mark.django_db


def test_it_selects_what_in_selects_beside_an_or(organisation, alice, bob):
    dan = UserFactory(username="dan", organisation=organisation)
    mine = CaseFactory(organisation=organisation, case_manager=alice)
    household = Household.objects.create(organisation=organisation)
    shared = CaseFactory(organisation=organisation, case_manager=alice, household=household)
    family = CaseFactory(organisation=organisation, case_manager=dan, household=household)
    CaseFactory(organisation=organisation, case_manager=dan)
    households = Case.objects.filter(case_manager=alice, household__isnull=False).values(
        "household"
    )
    with CaptureQueriesContext(connection) as queries:
        found = set(Case.objects.filter(Q(case_manager=alice) | Q(OneOf("household", households))))
    assert found == set(Case.objects.filter(Q(case_manager=alice) | Q(household__in=households)))
    assert found == {mine, shared, family}
    assert len(queries) == 1
    expected = "= ANY(ARRAY(SELECT" if connection.vendor == "postgresql" else "IN (SELECT"
    assert expected in queries[0]["sql"]


def test_it_selects_nothing_from_an_empty_subquery(organisation, alice):
    CaseFactory(organisation=organisation, case_manager=alice)
    nobody = User.objects.filter(pk__in=[])
    assert not Case.objects.filter(OneOf("case_manager", nobody.values("pk"))).exists()
    none_yet = User.objects.filter(username="nobody")
    assert not Case.objects.filter(OneOf("case_manager", none_yet.values("pk"))).exists()


def test_it_does_not_sort_the_values_it_selects(organisation, alice):
    """Case's default order (newest referral first) means nothing in a set of values: the
    subquery of every query of a case (`Case.objects.visible_to`) is not sorted for nothing.
    (The outer queries are read unordered, so any ORDER BY would be the subquery's.)"""
    CaseFactory(organisation=organisation, case_manager=alice)
    households = Case.objects.filter(case_manager=alice).values("household")
    assert "ORDER BY" in str(households.query)  # sorted when read on its own
    with CaptureQueriesContext(connection) as queries:
        list(
            Case.objects.filter(
                Q(case_manager=alice) | Q(OneOf("household", households))
            ).order_by()
        )
        list(Case.objects.visible_to(alice).order_by())
    assert len(queries) == 2
    for query in queries:
        assert "(SELECT" in query["sql"] and "ORDER BY" not in query["sql"]


def test_it_keeps_the_order_of_a_sliced_queryset(organisation, alice, bob):
    """The order of a sliced queryset decides which rows it selects: kept."""
    older = CaseFactory(organisation=organisation, case_manager=alice, referral_date=days_ago(30))
    newer = CaseFactory(organisation=organisation, case_manager=bob, referral_date=days_ago(1))
    newest_first = Case.objects.order_by("-referral_date").values("case_manager")[:1]
    oldest_first = Case.objects.order_by("referral_date").values("case_manager")[:1]
    assert set(Case.objects.filter(OneOf("case_manager", newest_first))) == {newer}
    assert set(Case.objects.filter(OneOf("case_manager", oldest_first))) == {older}


def test_among_values_selects_what_in_selects_as_one_statement_for_any_number(organisation, alice):
    cases = [CaseFactory(organisation=organisation, case_manager=alice) for _ in range(4)]
    statements = set()
    for chosen in (cases[:1], cases[:3], cases):
        ids = [case.pk for case in chosen]
        among = Case.objects.filter(AmongValues("id", ids), organisation=organisation)
        assert set(among) == set(Case.objects.filter(pk__in=ids)) == set(chosen)
        statements.add(among.query.sql_with_params()[0])
    # One parameter: one statement text, prepared once on PostgreSQL, for any number.
    assert len(statements) == 1
    assert not Case.objects.filter(AmongValues("id", [])).exists()
    # More values than SQLite takes parameters (32,766), in one query.
    many = [uuid.uuid4() for _ in range(40_000)] + [cases[0].pk]
    assert list(Case.objects.filter(AmongValues("id", many))) == [cases[0]]
