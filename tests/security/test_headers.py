"""R31: every sample page carries the browser hardening headers, and CSP violations are reported
to Engage, which logs them without personal data."""

import json
import logging

import pytest
from django.test import Client

from engage.cases.factories import CaseFactory
from engage.lib.middleware import PERMISSIONS_POLICY
from tests.security.conftest import csp_directives
from tests.test_settings import PRODUCTION, _engage

pytestmark = pytest.mark.django_db

DENIED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb"]


@pytest.fixture
def pages(client, organisation, alice, as_user) -> dict:
    """The sign-in page (anonymous), Alice's dashboard and one of her cases."""
    case = CaseFactory(organisation=organisation, case_manager=alice)
    login = client.get("/accounts/login/")
    signed_in = as_user(alice)
    return {
        "login": login,
        "dashboard": signed_in.get("/"),
        "case": signed_in.get(case.get_absolute_url()),
    }


@pytest.mark.parametrize("page", ["login", "dashboard", "case"])
def test_it_sends_the_hardening_headers(page, pages):
    response = pages[page]
    assert response.status_code == 200
    headers = response.headers
    policy = dict(item.strip().split("=", 1) for item in headers["Permissions-Policy"].split(","))
    assert all(policy[feature] == "()" for feature in DENIED_FEATURES), policy
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    csp = csp_directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["report-uri"] == "/csp-report/"


@pytest.mark.parametrize("page", ["dashboard", "case"])
def test_it_forbids_storing_a_signed_in_page(page, pages):
    assert "no-store" in pages[page].headers["Cache-Control"]


@pytest.mark.parametrize("page", ["login", "dashboard", "case"])
def test_it_allows_no_inline_or_evaluated_script_or_style(page, pages):
    """Scripts come from Engage's own files, or carry the page's nonce; nothing inline else."""
    csp = csp_directives(pages[page])
    for directive in ("script-src", "style-src", "default-src"):
        sources = csp[directive].split()
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, directive
    assert all(s == "'self'" or s.startswith("'nonce-") for s in csp["script-src"].split())


def test_it_sends_the_permissions_policy_with_redirects_and_errors_too(client, as_user, alice):
    assert client.get("/cases/").headers["Permissions-Policy"] == PERMISSIONS_POLICY
    assert as_user(alice).get("/no-such-page/").headers["Permissions-Policy"] == PERMISSIONS_POLICY


def test_it_sets_hsts_for_a_year_with_subdomains_in_production_mode():
    script = (
        "from django.conf import settings\n"
        "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    result = _engage("shell", "--no-imports", "-c", script, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    seconds, subdomains = result.stdout.split()
    assert int(seconds) >= 365 * 24 * 60 * 60 and subdomains == "True"


# The CSP report endpoint


def _report(**fields) -> bytes:
    return json.dumps(
        {
            "csp-report": {
                "document-uri": "https://engage.example.org/cases/?q=Zzsentinelname#top",
                "referrer": "https://engage.example.org/cases/?q=Zzsentinelname",
                "violated-directive": "script-src-elem",
                "effective-directive": "script-src-elem",
                "original-policy": "default-src 'self'",
                "blocked-uri": "https://evil.example.net/x.js?who=Zzsentinelname",
                "script-sample": "alert('Zzsentinelname')",
                "status-code": 200,
                **fields,
            }
        }
    ).encode()


def _post(body: bytes, content_type="application/csp-report"):
    # As a browser sends it: no session, no CSRF token.
    return Client(enforce_csrf_checks=True).post("/csp-report/", body, content_type=content_type)


def test_it_takes_a_browsers_csp_report_and_logs_it_without_personal_data(caplog):
    caplog.set_level(logging.INFO)
    response = _post(_report())
    assert response.status_code == 204
    (record,) = [r for r in caplog.records if r.name == "engage.csp"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "script-src-elem" in message
    assert "https://evil.example.net/x.js" in message
    assert "https://engage.example.org/cases/" in message
    assert "Zzsentinelname" not in message


def test_it_refuses_a_report_over_10_kb_and_logs_nothing(caplog):
    caplog.set_level(logging.INFO)
    response = _post(_report(**{"script-sample": "x" * 10 * 1024}))
    assert response.status_code == 413
    assert not [r for r in caplog.records if r.name == "engage.csp"]


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"other": 1}'])
def test_it_refuses_what_is_not_a_csp_report(body, caplog):
    caplog.set_level(logging.INFO)
    assert _post(body).status_code == 400
    assert not [r for r in caplog.records if r.name == "engage.csp"]


def test_it_takes_reports_by_post_only(client):
    assert client.get("/csp-report/").status_code == 405
