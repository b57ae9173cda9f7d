"""Production mode: configured by the environment alone, and `engage check --deploy` is clean."""

import os
import subprocess
import sys

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-secret-key-for-the-test-only-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "engage.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
    "ENGAGE_FIELD_KEYS": "Zm9yLXRoZS10ZXN0LW9ubHktMDEyMzQ1Njc4OWFiY2Q=",
    "ENGAGE_INDEX_KEY": "aW5kZXgta2V5LWZvci10aGUtdGVzdC1vbmx5LTAxMjM=",
}


def _python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own code, fixed arguments)
        [sys.executable, *args],
        env={k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _engage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return _python("-m", "engage", *args, env=env)


def test_it_reports_nothing_on_check_deploy_in_production_mode():
    result = _engage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_starts_without_the_libraries_of_a_single_feature():
    """pandas and pycanon (the dataset's protection), openpyxl (a spreadsheet import) and
    WeasyPrint (a PDF) are loaded by the work that needs them, not by every process that loads
    the URLs (the first three took 0.3 s of each start when they were; docs/testing.md)."""
    code = (
        "import sys, django; django.setup(); import engage.urls; print(sorted(name for name in"
        " ('pandas', 'pycanon', 'openpyxl', 'weasyprint') if name in sys.modules))"
    )
    result = _python("-c", code, env={**PRODUCTION, "DJANGO_SETTINGS_MODULE": "engage.settings"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_it_refuses_to_start_in_production_without_a_secret_key():
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = _engage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_refuses_to_start_in_production_without_encryption_keys():
    env = {**PRODUCTION, "ENGAGE_INDEX_KEY": ""}
    result = _engage("check", env=env)
    assert result.returncode != 0
    assert "ENGAGE_FIELD_KEYS and ENGAGE_INDEX_KEY must be set" in result.stderr


def test_it_sends_security_headers(client, db):
    response = client.get("/accounts/login/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_it_forbids_caching_pages_of_a_signed_in_user(as_user, alice):
    response = as_user(alice).get("/")
    assert "no-store" in response.headers["Cache-Control"]


def _setting(name: str, env: dict[str, str]) -> str:
    """The setting as the settings module makes it from `env`, in a process of its own.

    The module alone, which is what reads the environment (Django's `settings` holds its
    values): `engage shell` loaded every app as well, a second of CPU for each value."""
    result = _python("-c", f"from engage import settings; print(settings.{name})", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_it_trusts_the_documented_tls_proxy_for_client_addresses():
    """Issue 10 #5: behind the README's proxy the client address comes from one proxy hop;
    without a proxy no X-Forwarded-For is believed; the count can be set for more proxies."""
    behind = {**PRODUCTION, "ENGAGE_BEHIND_TLS_PROXY": "true"}
    assert _setting("ENGAGE_TRUSTED_PROXY_COUNT", behind) == "1"
    assert _setting("ENGAGE_TRUSTED_PROXY_COUNT", PRODUCTION) == "0"
    two = {**behind, "ENGAGE_TRUSTED_PROXY_COUNT": "2"}
    assert _setting("ENGAGE_TRUSTED_PROXY_COUNT", two) == "2"
