import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.accounts.factories import TeamFactory, UserFactory
from engage.accounts.models import Role, Team
from engage.accounts.views import PAGE_SIZE


@pytest.mark.django_db
class TestTeams:
    def test_it_creates_a_team_led_by_a_supervisor(self, as_user, ada, bob):
        response = as_user(ada).post(
            "/accounts/teams/new/", {"name": "  Plovdiv  ", "leader": bob.pk}
        )
        assert response.status_code == 302
        team = Team.objects.get(name="Plovdiv")
        assert team.leader == bob and team.organisation == ada.organisation

    def test_it_offers_only_supervisors_of_the_organisation_as_leaders(
        self, as_user, ada, alice, other_organisation
    ):
        foreign = UserFactory(role=Role.SUPERVISOR, organisation=other_organisation)
        response = as_user(ada).post("/accounts/teams/new/", {"name": "X", "leader": alice.pk})
        assert "Select a valid choice" in response.content.decode()
        response = as_user(ada).post("/accounts/teams/new/", {"name": "X", "leader": foreign.pk})
        assert "Select a valid choice" in response.content.decode()
        assert not Team.objects.filter(name="X").exists()

    def test_it_refuses_a_second_team_with_the_same_name(self, as_user, ada, team):
        response = as_user(ada).post("/accounts/teams/new/", {"name": "sofia", "leader": ""})
        assert "already has a team with this name" in response.content.decode()

    def test_it_detects_a_concurrent_edit(self, as_user, ada, team):
        client = as_user(ada)
        stale = team.version
        client.post(
            f"/accounts/teams/{team.pk}/", {"name": "North", "leader": "", "version": stale}
        )
        response = client.post(
            f"/accounts/teams/{team.pk}/", {"name": "South", "leader": "", "version": stale}
        )
        assert "Someone else changed this record" in response.content.decode()
        team.refresh_from_db()
        assert team.name == "North"

    def test_it_lists_teams_with_member_counts(self, as_user, ada, team, alice):
        body = as_user(ada).get("/accounts/teams/").content.decode()
        assert "Sofia" in body and "Bob" in body


@pytest.mark.django_db
def test_it_pages_the_teams_in_a_constant_number_of_queries(as_user, ada, organisation):
    client = as_user(ada)
    assert "No team yet." in client.get("/accounts/teams/").content.decode()

    def add(start, count):
        for n in range(start, start + count):
            team = TeamFactory(organisation=organisation, name=f"Team {n:03}")
            UserFactory(organisation=organisation, team=team)

    add(0, PAGE_SIZE + 2)
    with CaptureQueriesContext(connection) as first:
        response = client.get("/accounts/teams/")
    page = response.context["page"]
    assert [team.name for team in page.object_list] == [f"Team {n:03}" for n in range(PAGE_SIZE)]
    assert all(team.member_count == 1 for team in page.object_list)
    assert "page=2" in response.content.decode()
    second = client.get("/accounts/teams/?page=2").context["page"].object_list
    assert [team.name for team in second] == [f"Team {n:03}" for n in (PAGE_SIZE, PAGE_SIZE + 1)]
    add(PAGE_SIZE + 2, PAGE_SIZE)
    with CaptureQueriesContext(connection) as more:
        client.get("/accounts/teams/")
    assert len(more) == len(first)
