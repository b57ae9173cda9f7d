import pytest
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.test import Client

from engage.accounts.factories import PASSWORD, UserFactory
from engage.accounts.models import Role, User


@pytest.mark.django_db
class TestUserList:
    def test_it_lists_only_the_admins_own_organisation(self, as_user, ada, alice, bob, charlie):
        body = as_user(ada).get("/accounts/users/").content.decode()
        assert "alice" in body and "bob" in body
        assert "charlie" not in body

    def test_it_searches_by_name_and_filters_by_role(self, as_user, ada, alice, bob):
        client = as_user(ada)
        body = client.get("/accounts/users/", {"q": "ALI"}).content.decode()
        assert "alice" in body and ">bob<" not in body
        body = client.get("/accounts/users/", {"role": Role.SUPERVISOR}).content.decode()
        assert ">bob<" in body and ">alice<" not in body

    def test_it_says_so_when_nothing_matches(self, as_user, ada):
        body = as_user(ada).get("/accounts/users/", {"q": "nobody-by-that-name"}).content.decode()
        assert "No user matches this search." in body

    def test_it_pages_long_lists(self, as_user, ada, organisation):
        UserFactory.create_batch(30, organisation=organisation)
        client = as_user(ada)
        first = client.get("/accounts/users/").content.decode()
        assert "Page 1 of 2" in first and "31 users" in first
        second = client.get("/accounts/users/", {"page": 2}).content.decode()
        assert "Page 2 of 2" in second

    def test_it_renders_only_the_results_for_htmx(self, as_user, ada, alice):
        response = as_user(ada).get("/accounts/users/", {"q": "alice"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert "alice" in body and "<html" not in body

    def test_its_query_count_does_not_grow_with_users(
        self, as_user, ada, organisation, team, django_assert_max_num_queries
    ):
        UserFactory.create_batch(20, organisation=organisation, team=team)
        client = as_user(ada)
        with django_assert_max_num_queries(8):
            client.get("/accounts/users/")


@pytest.mark.django_db
class TestCreateUser:
    def _post(self, client, team=None, **overrides):
        data = {
            "username": "maria",
            "first_name": "Maria",
            "last_name": "Ivanova",
            "email": "maria@example.org",
            "role": Role.CASE_MANAGER,
            "team": team.pk if team else "",
            "password": "a long enough passphrase",
        }
        return client.post("/accounts/users/new/", data | overrides)

    def test_it_creates_a_colleague_who_must_choose_a_password(self, as_user, ada, team):
        response = self._post(as_user(ada), team=team)
        assert response.status_code == 302
        maria = User.objects.get(username="maria")
        assert maria.organisation == ada.organisation and maria.team == team
        assert maria.must_change_password

        newcomer = Client()
        assert newcomer.login(
            request=HttpRequest(), username="maria", password="a long enough passphrase"
        )
        assert newcomer.get("/").url == "/accounts/password/"
        response = newcomer.post(
            "/accounts/password/",
            {
                "old_password": "a long enough passphrase",
                "new_password1": "my own secret phrase",
                "new_password2": "my own secret phrase",
            },
        )
        assert response.status_code == 302
        assert newcomer.get("/").status_code == 200

    def test_it_explains_a_weak_password_next_to_the_field(self, as_user, ada):
        response = self._post(as_user(ada), password="short")
        assert response.status_code == 200
        assert "This password is too short" in response.content.decode()
        assert not User.objects.filter(username="maria").exists()

    def test_it_refuses_a_taken_username(self, as_user, ada, alice):
        response = self._post(as_user(ada), username="ALICE")
        assert "This username is taken." in response.content.decode()

    def test_it_refuses_the_network_coordinator_role(self, as_user, ada):
        response = self._post(as_user(ada), role=Role.NETWORK_COORDINATOR)
        assert response.status_code == 200
        assert not User.objects.filter(username="maria").exists()

    def test_it_refuses_a_team_of_another_organisation(self, as_user, ada, other_organisation):
        from engage.accounts.factories import TeamFactory

        foreign = TeamFactory(organisation=other_organisation)
        response = self._post(as_user(ada), team=foreign)
        assert response.status_code == 200
        assert not User.objects.filter(username="maria").exists()


@pytest.mark.django_db
class TestEditUser:
    def test_it_changes_role_and_team(self, as_user, ada, alice, team):
        response = as_user(ada).post(
            f"/accounts/users/{alice.pk}/",
            {
                "first_name": "Alice",
                "last_name": "B",
                "email": "",
                "role": Role.SUPERVISOR,
                "team": team.pk,
                "version": alice.version,
            },
        )
        assert response.status_code == 302
        alice.refresh_from_db()
        assert alice.role == Role.SUPERVISOR and alice.last_name == "B"

    def test_it_detects_a_concurrent_edit(self, as_user, ada, alice):
        client = as_user(ada)
        data = {
            "first_name": "A",
            "last_name": "",
            "email": "",
            "role": Role.CASE_MANAGER,
            "team": "",
            "version": alice.version,
        }
        assert client.post(f"/accounts/users/{alice.pk}/", data).status_code == 302
        response = client.post(f"/accounts/users/{alice.pk}/", data | {"first_name": "Overwrite"})
        assert "Someone else changed this record" in response.content.decode()
        alice.refresh_from_db()
        assert alice.first_name == "A"

    def test_it_keeps_an_admin_from_dropping_their_own_admin_role(self, as_user, ada):
        response = as_user(ada).post(
            f"/accounts/users/{ada.pk}/",
            {
                "first_name": "Ada",
                "last_name": "",
                "email": "",
                "role": Role.CASE_MANAGER,
                "team": "",
                "version": ada.version,
            },
        )
        assert "You cannot remove your own admin role" in response.content.decode()
        ada.refresh_from_db()
        assert ada.role == Role.ORG_ADMIN


@pytest.mark.django_db
class TestDeactivateUser:
    def test_it_asks_for_confirmation_first(self, as_user, ada, alice):
        response = as_user(ada).get(f"/accounts/users/{alice.pk}/deactivate/")
        assert "They will be signed out everywhere at once" in response.content.decode()
        alice.refresh_from_db()
        assert alice.is_active

    def test_it_ends_every_session_of_the_user_at_once(self, as_user, ada, alice):
        laptop, phone = Client(), Client()
        assert laptop.login(request=HttpRequest(), username="alice", password=PASSWORD)
        assert phone.login(request=HttpRequest(), username="alice", password=PASSWORD)
        assert laptop.get("/").status_code == 200

        response = as_user(ada).post(f"/accounts/users/{alice.pk}/deactivate/")

        assert response.status_code == 302
        remaining = [
            s
            for s in Session.objects.all()
            if s.get_decoded().get("_auth_user_id") == str(alice.pk)
        ]
        assert remaining == []
        assert laptop.get("/").url.startswith("/accounts/login/")
        assert not Client().login(request=HttpRequest(), username="alice", password=PASSWORD)

    def test_it_refuses_to_deactivate_oneself(self, as_user, ada):
        response = as_user(ada).post(f"/accounts/users/{ada.pk}/deactivate/")
        assert "You cannot deactivate your own account." in response.content.decode()
        ada.refresh_from_db()
        assert ada.is_active

    def test_two_admins_changing_each_other_at_once_leave_one_admin(self, ada, organisation):
        """docs/security.md, item 53: each request had loaded its admin before the other's
        change ran, so both went through and nobody was left to manage the organisation.
        The second now finds its admin gone, whether deactivated or made a case manager."""
        from django.core.exceptions import ValidationError

        from engage.accounts import services

        def admins():
            return User.objects.filter(organisation=organisation, role=Role.ORG_ADMIN)

        oz = UserFactory(username="oz", role=Role.ORG_ADMIN, organisation=organisation)
        ada_as_loaded, oz_as_loaded = User.objects.get(pk=ada.pk), User.objects.get(pk=oz.pk)
        services.deactivate_user(oz, by=ada_as_loaded)
        with pytest.raises(ValidationError, match="no longer an admin"):
            services.deactivate_user(ada, by=oz_as_loaded)
        assert list(admins().filter(is_active=True)) == [ada]

        services.reactivate_user(oz, by=ada)
        ada_as_loaded, oz_as_loaded = User.objects.get(pk=ada.pk), User.objects.get(pk=oz.pk)
        services.update_user(
            oz, by=ada_as_loaded, expected_version=oz.version, role=Role.CASE_MANAGER,
            team=None, first_name="Oz", last_name="", email="",
        )  # fmt: skip
        with pytest.raises(ValidationError, match="no longer an admin"):
            services.deactivate_user(ada, by=oz_as_loaded)
        assert list(admins().filter(is_active=True)) == [ada]

    def test_it_reactivates(self, as_user, ada, alice):
        alice.is_active = False
        alice.save()
        as_user(ada).post(f"/accounts/users/{alice.pk}/reactivate/")
        alice.refresh_from_db()
        assert alice.is_active
