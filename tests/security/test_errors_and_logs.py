"""R25: an error shows a generic page and logs no personal data or secret; the sign-in and
password views keep passwords out of error reports."""

import logging

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.views.debug import SafeExceptionReporterFilter

from engage.accounts.factories import PASSWORD
from engage.cases.factories import CaseFactory

SENTINEL = "Zzsentinelclient"
SECRET = "Zz-not-to-be-logged-password"


@pytest.fixture
def failing(settings):
    """Engage in production mode, with a view that breaks while it handles a case."""
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.security.urls"


def _logged(caplog) -> str:
    """Everything the log handlers were given, as a formatter writes it (tracebacks included)."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


@pytest.mark.django_db
def test_it_shows_the_generic_error_page_and_logs_no_personal_data(
    failing, organisation, alice, caplog
):
    case = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name=SENTINEL,
        person__family_name=f"{SENTINEL}family",
    )
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    caplog.set_level(logging.DEBUG)
    response = client.post(
        f"/test-failure/{case.pk}/?q={SENTINEL}",
        {"note": f"{SENTINEL} note", "password": SECRET, "new_password1": SECRET},
    )
    assert response.status_code == 500
    assert response.content.decode() == render_to_string("500.html")
    assert SENTINEL not in response.content.decode()
    errors = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert errors and errors[0].exc_info, "the failure itself is logged, with its traceback"
    logged = _logged(caplog)
    assert "ForcedFailure" in logged
    assert SENTINEL not in logged
    assert SECRET not in logged


def _reported_post(response) -> dict:
    """The POST parameters as Django's error reports (mails, Sentry-like handlers) show them."""
    return SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)


MASK = SafeExceptionReporterFilter.cleansed_substitute


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/accounts/login/", ["password"]),
        ("/accounts/password/", ["old_password", "new_password1", "new_password2"]),
        ("/accounts/confirm/", ["password"]),
        ("/accounts/two-step/setup/", ["token"]),
        ("/accounts/two-step/verify/", ["token"]),
    ],
)
def test_it_hides_passwords_and_codes_from_error_reports(url, fields, alice, client):
    if url != "/accounts/login/":
        client.force_login(alice)
    data = {"username": "alice"} | dict.fromkeys(fields, SECRET)
    response = client.post(url, data)
    reported = _reported_post(response)
    assert all(reported[field] == MASK for field in fields), reported
    assert SECRET not in str(reported)


@pytest.mark.django_db
def test_it_would_show_an_unprotected_field(alice, client):
    """The control of the test above: a field not declared sensitive is reported as typed."""
    client.force_login(alice)
    response = client.post("/accounts/confirm/", {"password": SECRET, "next": "/cases/"})
    assert _reported_post(response)["next"] == "/cases/"


@pytest.mark.django_db
def test_it_signs_in_with_the_masked_fields_all_the_same(alice, client):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert _reported_post(response)["password"] == MASK
