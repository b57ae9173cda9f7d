"""engage.lib.queries.read_together: the rows of several small querysets, of different tables, in
one query, each as its own query would have given it; and keep_as_prefetched, which hands them to
the related managers."""

from decimal import Decimal

import pytest
from django.db.models import DateField, Model

from engage.cases import services
from engage.cases.factories import RATINGS, CaseFactory, days_ago, to_active
from engage.cases.models import Assessment, Case, Closure, InclusionDecision, PlanReview
from engage.custom.models import ChoiceOption, CustomField
from engage.lib import queries
from engage.lib.queries import keep_as_prefetched, read_together
from engage.lib.scoping import organisation_scope
from tests.custom.helpers import define_all_types

pytestmark = pytest.mark.django_db


def _fields(row: Model) -> dict:
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


@pytest.fixture
def case(organisation, alice, bob):
    """A case with a row or more of each table: encrypted texts, JSON lists, dates, datetimes,
    booleans and foreign keys of both kinds of key among their columns."""
    case, plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    services.record_assessment(
        case,
        by=alice,
        data={
            "date": days_ago(20),
            "trigger": "crisis",
            "vulnerability_health": True,
            "vulnerability_health_note": "Needs a doctor, ça presse.",
            **RATINGS,
        },
    )
    services.add_plan_review(plan, by=alice, date=days_ago(10), note="Agreed: «next steps».")
    services.add_plan_review(plan, by=alice, date=days_ago(5), note="")
    services.request_closure(
        case,
        by=alice,
        data={
            "date": days_ago(1),
            "reason": "disengaged",
            "disengagement_factors": ["fear", "moved"],
            "disengagement_other": "Said the city is too far.",
            "note": "Tried three times.",
        },
    )
    return case


def _querysets(case):
    return (
        Assessment.objects.filter(case=case),
        InclusionDecision.objects.filter(case=case),
        Closure.objects.filter(case=case),
        PlanReview.objects.filter(plan__case=case),
    )


def test_it_gives_every_row_as_its_own_query_would_in_one_query(case, django_assert_num_queries):
    querysets = _querysets(case)
    with django_assert_num_queries(1):
        read = read_together(*querysets)

    for queryset, rows in zip(querysets, read, strict=True):
        expected = list(queryset)
        assert expected, queryset.model  # every table has rows to compare
        assert [type(row) for row in rows] == [queryset.model] * len(expected)
        # In the model's order, every column of every row the same, decrypted and typed.
        assert [_fields(row) for row in rows] == [_fields(row) for row in expected]
    closure = read[2][0]
    assert closure.disengagement_factors == ["fear", "moved"]
    assert closure.note == "Tried three times."
    assert closure.created_at.tzinfo is not None
    assert [review.note for review in read[3]] == ["Agreed: «next steps».", ""]


def test_it_keeps_each_querysets_own_order(case):
    newest_first = Assessment.objects.filter(case=case).order_by("-date")
    (rows,) = read_together(newest_first)
    assert [row.pk for row in rows] == [row.pk for row in newest_first]
    assert rows[0].date > rows[-1].date


def test_it_gives_an_empty_list_for_a_queryset_that_reads_nothing(case):
    assessments, none, nothing = read_together(
        Assessment.objects.filter(case=case),
        PlanReview.objects.filter(plan__in=[]),
        Closure.objects.filter(case=case, status="approved"),
    )
    assert assessments and none == [] and nothing == []


def test_it_keeps_the_organisation_scope_of_each_part(case, other_organisation):
    """A curious colleague of another pilot who knows the case's id reads nothing of it: each
    part keeps its scoped manager's filter."""
    with organisation_scope(other_organisation.pk):
        assert read_together(*_querysets(case)) == [[], [], [], []]
    with organisation_scope(case.organisation_id):
        assert all(read_together(*_querysets(case)))


def test_it_refuses_an_order_it_cannot_follow_in_python(case):
    with pytest.raises(ValueError, match="case__reference"):
        read_together(Assessment.objects.filter(case=case).order_by("case__reference"))


def test_the_rows_kept_as_prefetched_are_given_back_without_a_query(
    case, django_assert_num_queries
):
    (assessments,) = read_together(case.assessments.all())
    keep_as_prefetched(case, "assessments", assessments)
    with django_assert_num_queries(0):
        given = list(case.assessments.all())
        assert all(row.case is case for row in given)  # each knows its case
    assert given == assessments
    # A query that is not `.all()` still reads the table, as with Django's own prefetch.
    with django_assert_num_queries(1):
        assert case.assessments.filter(trigger="crisis").count() == 1


def test_it_gives_decimals_with_their_places_and_json_as_stored(
    organisation, alice, django_assert_num_queries
):
    """The organisation's own fields: decimals (not read as a JSON number), translations
    (a JSON object), a condition on another field; their options."""
    fields = define_all_types(organisation, alice, "contact")
    number = fields["number"]
    number.min_value, number.max_value = Decimal("1.5"), Decimal("10.25")
    number.label_translations = {"fr": "Nombre à «vérifier»", "bg": "Число"}
    number.condition_field = fields["yes_no"]
    number.save()
    querysets = (
        CustomField.objects.filter(organisation=organisation),
        ChoiceOption.objects.filter(field__organisation=organisation),
    )
    with django_assert_num_queries(1):
        read = read_together(*querysets)

    for queryset, rows in zip(querysets, read, strict=True):
        assert [_fields(row) for row in rows] == [_fields(row) for row in queryset]
    (own,) = [row for row in read[0] if row.pk == number.pk]
    assert str(own.min_value) == "1.50" and str(own.max_value) == "10.25"
    assert own.label_translations == {"fr": "Nombre à «vérifier»", "bg": "Число"}
    assert own.condition_field_id == fields["yes_no"].pk
    assert len(read[1]) == 6  # three options of each choice field


def test_it_reads_nothing_when_every_part_is_empty(django_assert_num_queries):
    with django_assert_num_queries(0):  # Django knows an empty `IN ()` reads nothing
        assert read_together(PlanReview.objects.filter(plan__in=[])) == [[]]


def test_it_orders_an_empty_value_above_every_other(case, alice, bob):
    """As PostgreSQL does (NULLS LAST ascending, first descending), on both databases."""
    closure = case.closures.get()
    services.review_closure(closure, by=bob, approve=False, note="Not yet.")
    unreviewed = services.request_closure(
        case,
        by=alice,
        data={"date": days_ago(0), "reason": "disengaged", "disengagement_factors": ["fear"]},
    )
    by_review = Closure.objects.filter(case=case).order_by("reviewed_at")
    (rows,) = read_together(by_review)
    assert [row.pk for row in rows] == [closure.pk, unreviewed.pk]
    (rows,) = read_together(by_review.order_by("-reviewed_at"))
    assert [row.pk for row in rows] == [unreviewed.pk, closure.pk]


def test_it_refuses_a_column_json_cannot_carry(monkeypatch):
    """No model here has bytes or a duration: the refusal is played with a date taken for one."""
    monkeypatch.setattr(queries, "_NOT_IN_JSON", (DateField,))
    with pytest.raises(ValueError, match="does not read date"):
        read_together(PlanReview.objects.all())


def test_it_reads_the_columns_of_its_own_rows_when_a_part_joins_its_table_again(
    organisation, alice
):
    """A part that filters through a relation to its own table (a case and the enrollment it
    reopened) names its columns through its own alias, not the joined table's."""
    first = CaseFactory(organisation=organisation, case_manager=alice)
    later = CaseFactory(organisation=organisation, case_manager=alice, previous=first)
    reopened = Case.objects.filter(previous__reference=first.reference)
    (rows,) = read_together(reopened)
    assert [_fields(row) for row in rows] == [_fields(later)]
    assert rows[0].previous_id == first.pk and rows[0].reference == later.reference
