"""NET-14: organisations approaching governments, local authorities or funders (issue 14,
section 5), counted from the stakeholder interactions on a fixture computed by hand."""

import datetime

import pytest

from engage.network import report
from engage.network.factories import StakeholderFactory
from engage.network.indicators import Period, approaching
from engage.network.models import Interaction, Stakeholder

D = datetime.date
PERIOD = Period.of_months("2024-01", "2024-06")


def _met(stakeholder, day, by):
    Interaction.objects.create(stakeholder=stakeholder, date=day, type="meeting", recorded_by=by,
                               people="Policy officer", note="Community-based options")  # fmt: skip


@pytest.fixture
def interactions(organisation, other_organisation, bob, charlie, nadia):
    # BG-CLA: a ministry met twice in the period (counted once), a city met after it.
    ministry = StakeholderFactory(organisation=organisation, created_by=bob)
    _met(ministry, D(2024, 3, 1), bob)
    _met(ministry, D(2024, 6, 30), bob)
    city = StakeholderFactory(organisation=organisation, created_by=bob,
                              actor_type="local_authority", level="local")  # fmt: skip
    _met(city, D(2024, 7, 1), bob)
    # The other organisation: a municipality in the period, and a court (not counted).
    town = StakeholderFactory(organisation=other_organisation, created_by=charlie,
                              actor_type="local_authority", level="local")  # fmt: skip
    _met(town, D(2024, 1, 1), charlie)
    court = StakeholderFactory(organisation=other_organisation, created_by=charlie,
                               actor_type="judiciary")  # fmt: skip
    _met(court, D(2024, 2, 1), charlie)
    # The network: a funder in the period, and a UN agency (not counted).
    funder = StakeholderFactory(organisation=None, created_by=nadia, actor_type="funder",
                                level="international", country="")  # fmt: skip
    _met(funder, D(2024, 2, 2), nadia)
    unhcr = StakeholderFactory(organisation=None, created_by=nadia, actor_type="un_agency",
                               level="international", country="")  # fmt: skip
    _met(unhcr, D(2024, 2, 2), nadia)
    # A funder of BG-CLA never met: not counted.
    StakeholderFactory(organisation=organisation, created_by=bob, actor_type="funder")
    return organisation, other_organisation


def _stakeholders():
    return Stakeholder.objects.select_related("organisation").prefetch_related("interactions")


@pytest.mark.django_db
def test_it_counts_each_organisation_once_by_hand(interactions):
    mine, other = interactions
    result = approaching(_stakeholders(), PERIOD)
    assert result.numerator == 3  # BG-CLA (ministry), the other (town), the network (funder)
    owners = {cell["key"]: cell["numerator"] for cell in result.by["owner"]}
    assert owners == {mine.code: 1, other.code: 1, "network": 1}
    types = {cell["key"]: cell["numerator"] for cell in result.by["actor_type"]}
    assert types == {"national_authority": 1, "local_authority": 1, "funder": 1}
    # Before the interactions: nobody; the period after: only BG-CLA's city.
    assert approaching(_stakeholders(), Period.of_months("2023-01", "2023-12")).numerator == 0
    later = approaching(_stakeholders(), Period.of_months("2024-07", "2024-12"))
    assert later.numerator == 1 and later.by["owner"] == [{"key": mine.code, "numerator": 1,
                                                            "value": 1}]  # fmt: skip


@pytest.mark.django_db
def test_the_report_counts_the_scopes_organisations_only(
    interactions, django_assert_max_num_queries
):
    mine, _other = interactions
    with django_assert_max_num_queries(12):
        part = report.compute(start="2024-01", end="2024-06", pilots=[mine.code], level="network",
                              network=False)  # fmt: skip
    net14 = next(i for i in part["indicators"] if i["id"] == "NET-14")
    assert net14["numerator"] == 1 and [c["key"] for c in net14["by"]["owner"]] == [mine.code]
    assert str(report.NAMES["NET-14"]).startswith("Organisations approaching")
    coordinator = report.compute(start="2024-01", end="2024-06", pilots=[mine.code],
                                 level="network", network=True)  # fmt: skip
    assert next(i for i in coordinator["indicators"] if i["id"] == "NET-14")["numerator"] == 2
