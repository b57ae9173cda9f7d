"""R25: an error shows a generic page and logs no personal data or secret; the sign-in and
password views keep passwords out of error reports."""

import datetime
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from axes.models import AccessAttempt
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from engage.accounts.factories import PASSWORD
from engage.api.tokens import create_token
from engage.cases.factories import CaseFactory
from tests.conftest import TEST_FIELD_KEY, TEST_INDEX_KEY

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


# Names in the access logs (issue 10 #7): a search puts the name typed in the query string, and
# the next page's Referer repeats it. No log line of either server may hold it.

SEARCHED = "Zzsearchedname"
REFERRED = "Zzreferredname"


@pytest.mark.django_db
def test_it_logs_no_searched_name_in_process(settings, organisation, alice, caplog):
    """Every logger, while a case manager searches by name on the pages and the API."""
    settings.DEBUG = False
    CaseFactory(organisation=organisation, case_manager=alice, person__given_name=SEARCHED)
    _token, secret = create_token(alice, name="t", expires_on=_tomorrow())
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.force_login(alice)
    referer = {"HTTP_REFERER": f"http://testserver/cases/?q={REFERRED}"}
    for url in (f"/cases/?q={SEARCHED}", f"/accounts/users/?q={SEARCHED}", "/cases/?page=x"):
        client.get(url, **referer)
        client.get(url, HTTP_HX_REQUEST="true", **referer)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(f"/api/v1/cases/?q={SEARCHED}").status_code == 200
    assert api.get(f"/api/v1/cases/?q={SEARCHED}&page=99").status_code == 404
    logged = _logged(caplog)
    assert SEARCHED not in logged and REFERRED not in logged


def _tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_log(command: list[str], port: int, tmp_path, env: dict[str, str]) -> str:
    """Start a real server, search through it by name, stop it; return all it wrote."""
    # A database of its own (SQLite in tmp_path): the server never needs the test's data.
    skipped = ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "DEBUG")
    environment = {k: v for k, v in os.environ.items() if k not in skipped}
    environment |= {
        "ENGAGE_DATA_DIR": str(tmp_path),
        "ENGAGE_FIELD_KEYS": TEST_FIELD_KEY,
        "ENGAGE_INDEX_KEY": TEST_INDEX_KEY,
        "PYTHONUNBUFFERED": "1",
    } | env
    output = tmp_path / "server.log"
    with open(output, "w") as log:
        server = subprocess.Popen(  # noqa: S603 (our own command)
            [sys.executable, "-m", "engage", *command],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/accounts/login/", timeout=5)  # noqa: S310
                    break
                except (urllib.error.URLError, ConnectionError):
                    assert server.poll() is None, output.read_text()
                    assert time.monotonic() < deadline, output.read_text()
                    time.sleep(0.3)
            for path in (f"/cases/?q={SEARCHED}", f"/accounts/users/?q={SEARCHED}&page=2"):
                request = urllib.request.Request(  # noqa: S310
                    base + path, headers={"Referer": f"{base}/cases/?q={REFERRED}"}
                )
                # Follows the redirect to the sign-in page, whose `next` repeats the name.
                urllib.request.urlopen(request, timeout=10)  # noqa: S310
            time.sleep(0.5)  # the access log is written after the response
        finally:
            server.terminate()
            server.wait(timeout=30)
    return output.read_text()


@pytest.mark.django_db
def test_it_logs_no_searched_name_from_runserver(tmp_path):
    port = _free_port()
    logged = _server_log(
        ["runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"], port, tmp_path, {}
    )
    assert "GET /cases/ HTTP/1.1" in logged, logged  # the request lines are logged...
    assert "GET /accounts/login/ HTTP/1.1" in logged, logged
    assert SEARCHED not in logged and REFERRED not in logged, logged  # ...without the name


@pytest.mark.django_db
def test_it_logs_no_searched_name_from_engage_serve(tmp_path):
    port = _free_port()
    logged = _server_log(
        ["serve", "--no-migrate", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        port,
        tmp_path,
        {"DEBUG": "true"},
    )
    assert '"GET /cases/ HTTP/1.1" 302' in logged, logged  # gunicorn's access log...
    assert '"http://127.0.0.1' in logged, logged  # ...with the referrer's address...
    assert SEARCHED not in logged and REFERRED not in logged, logged  # ...without the name
    # Debug on, asked for by name (issue 10 #20): served, with a warning nobody can miss.
    assert "WARNING: serving with DEBUG=true" in logged


@pytest.mark.django_db
def test_it_keeps_no_searched_name_in_the_record_of_failed_sign_ins(alice):
    """Signed out, a search sends the person to sign in with the search in `next`; django-axes
    keeps the query string of a failed sign-in, without that parameter."""
    client = Client()
    response = client.get(f"/cases/?q={SEARCHED}", follow=True)
    login = response.redirect_chain[-1][0]
    assert SEARCHED in login  # the sign-in page's own URL still says where to go back to
    client.post(login, {"username": "alice", "password": "wrong"})
    attempt = AccessAttempt.objects.get()
    assert "next=" in attempt.get_data
    assert SEARCHED not in attempt.get_data + attempt.post_data


@pytest.mark.django_db
def test_it_keeps_no_typed_username_in_the_record_of_failed_sign_ins(alice):
    """What is typed in the username box is at times the password: django-axes kept it as
    typed, in the database, its dumps and its backups. It keeps a keyed digest now, and counts
    by it all the same: five failures lock the username out, and the right password then
    signs in no more than before."""
    client = Client()
    client.post("/accounts/login/", {"username": "Sentinel-pa55word!", "password": "x"})
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    kept = list(AccessAttempt.objects.values_list("username", flat=True))
    assert len(kept) == 2 and not any("Sentinel" in name or "alice" in name for name in kept)
    locked = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429


@pytest.mark.django_db
def test_the_migration_keeps_the_digest_of_the_usernames_kept_before():
    import importlib

    from django.apps import apps
    from django.db import connection

    from engage.accounts.lockout import of_username

    migration = importlib.import_module(
        "engage.accounts.migrations.0011_failed_sign_ins_keep_no_username"
    )
    AccessAttempt.objects.create(username="Sentinel-pa55word!", ip_address="198.51.100.9",
                                 user_agent="x", get_data="", post_data="",
                                 failures_since_start=2)  # fmt: skip
    migration.digest(apps, connection.schema_editor())
    migration.digest(apps, connection.schema_editor())  # once only, however often it runs
    assert AccessAttempt.objects.get().username == of_username("Sentinel-pa55word!")
