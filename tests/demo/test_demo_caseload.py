"""The demo's caseloads show what the ranking is about: risks, per-case intervals, paperwork."""

import datetime

import pytest

from engage.accounts.factories import UserFactory
from engage.cases.due import Due, Tier, caseload
from engage.cases.models import Case, EngagementLevel, Stage
from engage.demo.cases import seed_cases

TODAY = datetime.date(2025, 6, 30)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(organisation, alice, bob, team):
    second = UserFactory(username="alice2", organisation=organisation, team=team)
    seed_cases(organisation, case_managers=[alice, second], supervisor=bob, count=60, today=TODAY)
    return Case.objects.filter(organisation=organisation)


def test_it_has_disengaged_clients_and_cases_with_their_own_contact_interval(seeded):
    active = seeded.filter(stage=Stage.ACTIVE)
    assert active.filter(engagement_level=EngagementLevel.DISENGAGED).count() >= 2
    intervals = set(active.values_list("contact_interval_days", flat=True))
    assert {None, 7, 30} <= intervals


def test_the_caseload_mixes_risks_paperwork_and_calm(seeded, alice, bob):
    rows = caseload(Case.objects.visible_to(bob), TODAY)
    kinds = {item.kind for row in rows for item in row.due}
    assert {Due.CONTACT, Due.DISENGAGED, Due.ASSESSMENT, Due.APPROVAL} <= kinds
    tiers = [min((item.tier for item in row.due), default=len(Tier) + 1) for row in rows]
    assert tiers == sorted(tiers)  # risk first, then paperwork, then waits, then calm
    assert Tier.RISK in tiers and Tier.WORK in tiers and len(Tier) + 1 in tiers
