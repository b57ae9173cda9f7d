import pytest

from engage.accounts.factories import OrganisationFactory, TeamFactory, UserFactory
from engage.accounts.models import Role


def _nav(body: str) -> str:
    return body.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]


@pytest.mark.django_db
class TestDashboards:
    def test_it_shows_a_case_manager_their_team(self, as_user, alice, bob):
        body = as_user(alice).get("/").content.decode()
        assert "My caseload" in body and "Sofia, supervised by Bob" in body
        assert "Users" not in _nav(body)

    def test_it_shows_a_supervisor_the_teams_they_lead(self, as_user, alice, bob):
        body = as_user(bob).get("/").content.decode()
        assert "My teams" in body and "Alice" in body

    def test_it_shows_an_admin_the_organisation_at_a_glance(self, as_user, ada, alice, bob):
        body = as_user(ada).get("/").content.decode()
        nav = _nav(body)
        assert "Users" in nav and "Teams" in nav and "Organisation" in nav
        assert "Sofia pilot" in body

    def test_it_shows_the_network_coordinator_pilots_without_people(
        self, as_user, nadia, alice, charlie
    ):
        body = as_user(nadia).get("/").content.decode()
        assert "BG-CLA" in body and "CY-CYRC" in body
        assert "Alice" not in body and "Charlie" not in body

    def test_it_shows_the_current_user_and_organisation(self, as_user, alice):
        body = as_user(alice).get("/").content.decode()
        assert "Alice Test" in body and "BG-CLA · Case manager" in body

    @pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ORG_ADMIN, Role.NETWORK_COORDINATOR])
    def test_its_query_count_does_not_grow_with_the_organisation(
        self, role, as_user, django_assert_num_queries
    ):
        organisation = OrganisationFactory()
        viewer = UserFactory(
            role=role, organisation=None if role == Role.NETWORK_COORDINATOR else organisation
        )
        client = as_user(viewer)

        def grow():
            team = TeamFactory(
                organisation=organisation, leader=viewer if role == Role.SUPERVISOR else None
            )
            UserFactory.create_batch(3, organisation=organisation, team=team)
            OrganisationFactory()

        grow()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as small:
            client.get("/")
        for _ in range(3):
            grow()
        with django_assert_num_queries(len(small)):
            client.get("/")


@pytest.mark.django_db
def test_it_tells_supervisors_and_admins_of_recipients_waiting_for_a_second_person(
    as_user, ada, bob, organisation
):
    from engage.sharing import services
    from engage.sharing.models import Recipient

    recipient = Recipient.objects.create(organisation=organisation, type="health",
                                         name="Immigration Office Sofia", set_by=ada)  # fmt: skip
    for user in (bob, ada):
        body = as_user(user).get("/").content.decode()
        assert "1 recipient waits for a second person" in body
        assert "/sharing/recipients/to-confirm/" in body
    services.confirm_recipient(recipient, by=bob, enforcement=False)
    assert "waits for a second person" not in as_user(bob).get("/").content.decode()
