import pytest
from django.http import HttpRequest
from django.test import Client

from engage.accounts.factories import PASSWORD


@pytest.mark.django_db
class TestSignIn:
    def test_it_sends_anonymous_visitors_to_sign_in(self, client):
        response = client.get("/")
        assert response.status_code == 302
        assert response.url == "/accounts/login/?next=/"

    def test_it_signs_in_and_out(self, alice):
        client = Client()
        response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        assert response.status_code == 302 and response.url == "/"
        assert client.get("/").status_code == 200
        assert client.post("/accounts/logout/").status_code == 302
        assert client.get("/").status_code == 302

    def test_it_says_why_a_sign_in_failed(self, client, alice):
        response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        assert response.status_code == 401
        assert "Please enter a correct username and password" in response.content.decode()

    def test_it_refuses_a_deactivated_user(self, client, alice):
        alice.is_active = False
        alice.save()
        assert not client.login(request=HttpRequest(), username="alice", password=PASSWORD)

    def test_it_changes_the_password_and_keeps_the_user_signed_in(self, alice):
        client = Client()
        client.login(request=HttpRequest(), username="alice", password=PASSWORD)
        response = client.post(
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "another long passphrase",
                "new_password2": "another long passphrase",
            },
        )
        assert response.status_code == 302
        assert client.get("/").status_code == 200
        alice.refresh_from_db()
        assert alice.check_password("another long passphrase")

    def test_it_applies_the_password_validators_on_change(self, alice):
        client = Client()
        client.login(request=HttpRequest(), username="alice", password=PASSWORD)
        response = client.post(
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "12345678901234",
                "new_password2": "12345678901234",
            },
        )
        assert "This password is entirely numeric." in response.content.decode()

    def test_its_health_check_needs_no_login(self, client, db):
        assert client.get("/health/").json() == {"status": "ok"}
