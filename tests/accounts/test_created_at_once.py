"""Two saves of the same name at one instant: both pass the form's check, the second meets the
unique constraint, and is refused next to its field as the check would have refused it, not
with a server error (`lib.concurrency.created_once`). PostgreSQL's test: SQLite has one writer
and no row locks, so there the second simply sees the first."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from engage.accounts import services
from engage.accounts.models import Role, Team, User
from engage.network import services as network
from engage.network.models import DetentionCost
from tests.row_locks import waits_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)


def _user(organisation):
    return services.create_user(
        organisation=organisation, username="same.name", password="a-long-enough-password-1",
        role=Role.CASE_MANAGER,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)  # two connections see each other's commits
def test_it_refuses_the_second_of_two_same_usernames_at_once(organisation):
    outcome = waits_for(lambda: _user(organisation), lambda: _user(organisation))
    assert isinstance(outcome, ValidationError) and "username" in outcome.message_dict
    assert User.objects.filter(username="same.name").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_refuses_the_second_of_two_same_team_names_at_once(organisation, ada):
    def team():
        return services.save_team(Team(organisation=organisation, name="Nord"), by=ada)

    outcome = waits_for(team, team)
    assert isinstance(outcome, ValidationError)
    assert Team.objects.filter(organisation=organisation, name="Nord").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_refuses_the_second_of_two_same_detention_costs_at_once(nadia):
    data = {"country": "BG", "year": timezone.localdate().year - 1, "amount": 60,
            "currency": "EUR", "source": "Ministry report"}  # fmt: skip

    def cost():
        return network.save_detention_cost(by=nadia, data=data)

    outcome = waits_for(cost, cost)
    assert isinstance(outcome, ValidationError) and "year" in outcome.message_dict
    assert DetentionCost.objects.filter(country="BG").count() == 1
