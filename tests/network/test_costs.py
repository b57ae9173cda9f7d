"""Client-days and the cost comparison, on dates computed by hand."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from engage.accounts.factories import OrganisationFactory, UserFactory
from engage.cases.factories import CaseFactory
from engage.cases.models import Case
from engage.lib.scoping import scopes_disabled
from engage.network import costs, services

D = datetime.date
TODAY = D(2025, 1, 15)
DAYS = st.dates(D(2023, 11, 1), D(2025, 2, 28))


def _days_within(included, closed, first, last):
    """The module's rule, written out: the days of an enrollment within [first, last], the
    inclusion day and the closure day counted, an open one counted up to `last`."""
    if included is None:
        return 0
    begin, finish = max(included, first), min(closed or last, last)
    return max((finish - begin).days + 1, 0)


def test_the_rule_counts_the_inclusion_and_the_closure_day_and_clips_to_the_period():
    year = (D(2024, 1, 1), D(2024, 12, 31))  # 366 days: 2024 is a leap year
    assert _days_within(D(2024, 1, 1), D(2024, 1, 1), *year) == 1
    assert _days_within(D(2024, 1, 1), D(2024, 1, 31), *year) == 31
    assert _days_within(D(2023, 6, 1), None, *year) == 366
    assert _days_within(D(2024, 12, 30), D(2025, 3, 1), *year) == 2
    assert _days_within(D(2023, 1, 1), D(2023, 12, 31), *year) == 0
    assert _days_within(D(2025, 1, 1), None, *year) == 0


@pytest.mark.django_db
def test_it_sums_client_days_and_counts_the_clients_with_any(organisation, alice, charlie):
    year = (D(2024, 1, 1), D(2024, 12, 31))
    a = _case(organisation, alice, D(2024, 2, 1), D(2024, 2, 29))  # 29
    b = _case(organisation, alice, D(2023, 1, 1))  # 366
    _case(organisation, alice, D(2022, 1, 1), D(2022, 2, 1))  # 0
    _case(organisation, alice, D(2024, 1, 1), D(2024, 1, 1))  # 1
    one_day = _case(organisation, alice, D(2024, 12, 31))  # 1: the period's last day
    _case(organisation, alice, D(2025, 1, 1))  # 0: included after the period
    CaseFactory(organisation=organisation, case_manager=alice, referral_date=D(2024, 2, 1))
    _case(charlie.organisation, charlie, D(2024, 1, 1))  # another organisation's: not counted
    days, clients = costs.client_days(organisation, *year)
    assert days == 29 + 366 + 1 + 1
    assert str(a.pk) in clients and str(b.pk) in clients and str(one_day.pk) in clients
    assert len(clients) == 4


class TestClientDaysAsTheRuleSays(HypothesisTestCase):
    """For drawn inclusion and closure dates (a closure before its inclusion among them, as
    bad data may have) and a drawn period, the database's sum and clients are the rule's."""

    @classmethod
    def setUpTestData(cls):
        with scopes_disabled():
            cls.organisation = OrganisationFactory(code="BG-CLA", country="BG")
            other = OrganisationFactory(code="CY-CYRC", country="CY")
            manager = UserFactory(organisation=cls.organisation)
            stranger = UserFactory(organisation=other)
            cls.ours = [
                CaseFactory(organisation=cls.organisation, case_manager=manager).pk
                for _n in range(5)
            ]
            cls.theirs = CaseFactory(organisation=other, case_manager=stranger).pk

    @settings(max_examples=40, deadline=None)
    @given(
        stays=st.lists(st.tuples(st.none() | DAYS, st.none() | DAYS), min_size=6, max_size=6),
        period=st.tuples(DAYS, DAYS).map(sorted),
    )
    def test_it_gives_the_rules_days_and_clients(self, stays, period):
        first, last = period
        with scopes_disabled():
            for pk, (included, closed) in zip([*self.ours, self.theirs], stays, strict=True):
                Case.objects.filter(pk=pk).update(inclusion_date=included, closure_date=closed)
        days = {
            str(pk): _days_within(included, closed, first, last)
            for pk, (included, closed) in zip(self.ours, stays, strict=False)
        }
        expected = (sum(days.values()), {pk for pk, n in days.items() if n})
        assert costs.client_days(self.organisation, first, last) == expected


def _case(organisation, alice, included, closed=None):
    return CaseFactory(
        organisation=organisation,
        case_manager=alice,
        referral_date=included - datetime.timedelta(days=10),
        inclusion_date=included,
        closure_date=closed,
        stage="closed" if closed else "active",
    )


@pytest.fixture
def costed(organisation, alice, ada, nadia):
    """BG-CLA: 12 clients in 2024 (H1 budget 2024-01-01..06-30, 182 days), one only referred."""
    for _number in range(10):  # ten open all along: 10 x 182
        _case(organisation, alice, D(2023, 6, 1))
    _case(organisation, alice, D(2024, 3, 1), D(2024, 3, 10))  # 10
    _case(organisation, alice, D(2024, 6, 30))  # 1
    CaseFactory(organisation=organisation, case_manager=alice, referral_date=D(2024, 2, 1))
    services.save_budget(
        by=ada,
        data={
            "start": D(2024, 1, 1),
            "end": D(2024, 6, 30),
            "amount": Decimal("45810.00"),
            "currency": "EUR",
            "covers": "case managers and clients' basic needs",
        },
    )
    services.save_detention_cost(
        by=nadia,
        data={"country": "BG", "year": 2023, "amount": Decimal("95.00"), "currency": "EUR",
              "source": "Ministry reply to a parliamentary question, 2023"},
    )  # fmt: skip


@pytest.mark.django_db
def test_it_compares_the_cost_per_client_day_with_a_day_in_detention(costed):
    result = costs.comparison(
        start="2024-01", end="2024-12", pilots=["BG-CLA"], level="exact", today=TODAY
    )
    (entry,) = result["countries"]
    # 10 x 182 + 10 + 1 = 1831 client-days; 45810 / 1831 = 25.0191... → 25.02.
    assert entry["programme"]["client_days"] == 1831
    assert entry["programme"]["clients"] == 12
    assert entry["programme"]["cost_per_client_day"] == "25.02"
    assert entry["detention"] == {
        "amount": "95.00",
        "currency": "EUR",
        "year": 2023,
        "source": "Ministry reply to a parliamentary question, 2023",
    }
    assert entry["compared"] is True
    assert entry["share_of_detention"] == 26.3  # 25.02 / 95.00
    assert entry["reason"] == ""


@pytest.mark.django_db
def test_it_does_not_compare_without_a_detention_figure_for_the_period(costed):
    # The only figure is of 2023: a report ending in 2022 has none.
    result = costs.comparison(
        start="2022-01", end="2022-12", pilots=["BG-CLA"], level="exact", today=TODAY
    )
    assert result["countries"][0]["reason"] == "no_detention_cost"
    assert result["countries"][0]["compared"] is False


@pytest.mark.django_db
def test_it_leaves_out_a_budget_outside_the_period_or_not_over(costed):
    for start, end, today in (("2024-03", "2024-12", TODAY), ("2024-01", "2024-12", D(2024, 6, 1))):
        result = costs.comparison(start=start, end=end, pilots=["BG-CLA"], level="exact",
                                  today=today)  # fmt: skip
        assert result["countries"][0]["reason"] == "no_budget"


@pytest.mark.django_db
def test_it_never_converts_currencies(costed, nadia):
    from engage.network.models import DetentionCost

    DetentionCost.objects.update(currency="BGN")
    result = costs.comparison(
        start="2024-01", end="2024-12", pilots=["BG-CLA"], level="exact", today=TODAY
    )
    entry = result["countries"][0]
    assert entry["reason"] == "currencies_differ"
    assert entry["programme"]["cost_per_client_day"] is None


@pytest.mark.django_db
def test_it_withholds_a_comparison_on_too_few_clients_outside_exact_figures(costed):
    # 12 clients: enough at network level (10), not at public level (20).
    network = costs.comparison(start="2024-01", end="2024-12", pilots=["BG-CLA"],
                               level="network", today=TODAY)  # fmt: skip
    public = costs.comparison(start="2024-01", end="2024-12", pilots=["BG-CLA"],
                              level="public", today=TODAY)  # fmt: skip
    assert network["countries"][0]["compared"] is True
    entry = public["countries"][0]
    assert (entry["compared"], entry["reason"]) == (False, "small_base")
    assert entry["programme"]["client_days"] is None
    assert entry["programme"]["cost_per_client_day"] is None


@pytest.mark.django_db
def test_it_flags_a_small_base_in_exact_figures(organisation, alice, ada, nadia):
    _case(organisation, alice, D(2023, 6, 1))
    services.save_budget(by=ada, data={"start": D(2024, 1, 1), "end": D(2024, 1, 31),
                                       "amount": Decimal("310"), "currency": "EUR", "covers": ""})
    services.save_detention_cost(by=nadia, data={"country": "BG", "year": 2024,
                                                 "amount": Decimal("100"), "currency": "EUR",
                                                 "source": "x"})  # fmt: skip
    (entry,) = costs.comparison(start="2024-01", end="2024-01", pilots=["BG-CLA"], level="exact",
                                today=TODAY)["countries"]  # fmt: skip
    assert entry["programme"]["cost_per_client_day"] == "10.00"  # 310 / 31 days
    assert entry["compared"] is True
    assert entry["small_base"] is True


@pytest.mark.django_db
def test_it_refuses_overlapping_budgets_and_a_figure_twice(costed, ada, nadia):
    with pytest.raises(ValidationError) as refused:
        services.save_budget(by=ada, data={"start": D(2024, 6, 1), "end": D(2024, 12, 31),
                                           "amount": Decimal("1"), "currency": "EUR",
                                           "covers": ""})  # fmt: skip
    assert "start" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        services.save_detention_cost(by=nadia, data={"country": "BG", "year": 2023,
                                                     "amount": Decimal("1"), "currency": "EUR",
                                                     "source": "x"})  # fmt: skip
    assert "year" in refused.value.error_dict


@pytest.mark.django_db
def test_it_perturbs_the_figures_about_people_outside_exact_figures(costed):
    """Red team (issue 10 #8): at network level the client-days were exact and the cost per
    client-day printed to the cent gave them back, so two reports either side of one case
    being removed told that person's days in the programme."""
    def entry(level):
        result = costs.comparison(
            start="2024-01", end="2024-12", pilots=["BG-CLA"], level=level, today=TODAY
        )
        return result["countries"][0]

    exact, network = entry("exact"), entry("network")
    assert exact["programme"]["client_days"] == 1831  # exact stays exact
    shown = network["programme"]["client_days"]
    assert abs(shown - 1831) <= costs.DAYS_NOISE
    # The cost is worked out from the days as shown, never from the true ones.
    assert network["programme"]["cost_per_client_day"] == str(
        (Decimal("45810.00") / shown).quantize(Decimal("0.01"))
    )
    assert entry("network") == network  # the same data, the same figures
    assert abs(network["programme"]["clients"] - 12) <= 2


@pytest.mark.django_db
def test_two_reports_either_side_of_a_removed_case_do_not_give_its_days(
    costed, organisation, alice
):
    for _number in range(6):  # six more open all along, so that ten remain after six go
        _case(organisation, alice, D(2023, 6, 1))
    from engage.cases.models import Case
    from engage.lib.scoping import organisation_scope

    def shown_days():
        result = costs.comparison(
            start="2024-01", end="2024-12", pilots=["BG-CLA"], level="network", today=TODAY
        )
        return result["countries"][0]["programme"]["client_days"]

    before = shown_days()
    differences = set()
    # Remove, one at a time, cases whose true days in the period are known (182 each).
    with organisation_scope(organisation.pk):
        open_cases = list(
            Case.objects.filter(closure_date__isnull=True, inclusion_date=D(2023, 6, 1))
        )
    for case in open_cases[:6]:
        with organisation_scope(organisation.pk):
            Case.objects.filter(pk=case.pk).update(inclusion_date=None)
        after = shown_days()
        differences.add(before - after)
        before = after
    # Each removal took away exactly 182 client-days; the published differences do not say so.
    assert differences != {182}
    assert len(differences) > 1


@pytest.mark.django_db
def test_it_tells_the_cases_apart_by_their_ids_as_str_writes_them(organisation, alice):
    """The clients' cell key is made of their ids' text: read as the database writes it, each
    is the text `str` gives the case's UUID, on either database (SQLite keeps 32 hex digits,
    PostgreSQL its own text), so the published figures do not move with the database."""
    cases = [_case(organisation, alice, D(2024, 1, 1)), _case(organisation, alice, D(2024, 2, 1))]
    _days, clients = costs.client_days(organisation, D(2024, 1, 1), D(2024, 12, 31))
    assert sorted(clients) == sorted(str(case.pk) for case in cases)
