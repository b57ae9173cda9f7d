"""The schema and its docs page: signed-in users only, our own assets, the strict CSP; no
integer ids anywhere in the schema (R08); anonymous callers of every API address get 401."""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.api.conftest import ApiClient, make_token
from tests.security.conftest import csp_directives

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_of_the_docs_to_sign_in(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_it_serves_the_docs_from_our_own_files_under_the_strict_csp(as_user, alice):
    response = as_user(alice).get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    directives = csp_directives(response)
    assert directives["script-src"].startswith("'self' 'nonce-")
    assert directives["style-src"] == "'self'"
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    scripts = re.findall(r"<script[^>]*>", page)
    assert len(scripts) == 3 and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "<style" not in page and "style=" not in page
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith("/"), url
    script = as_user(alice).get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_it_serves_the_schema_to_a_session_and_a_token_only(as_user, client, alice):
    assert client.get("/api/v1/schema/").status_code == 401
    assert as_user(alice).get("/api/v1/schema/").status_code == 200
    assert ApiClient(make_token(alice)).get("/api/v1/schema/").status_code == 200


def _schemas(alice) -> dict:
    response = ApiClient(make_token(alice)).get(
        "/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    return json.loads(response.content)


def test_it_exposes_no_integer_id(alice):
    """R08: every id in the API is a UUID; no serializer gives an integer primary key."""
    schema = _schemas(alice)
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            if field == "id" or field.endswith("_id"):
                assert spec.get("format") == "uuid", (name, field, spec)
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert parameter["schema"]["format"] == "uuid", (path, parameter)


def _api_urls(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "api" or prefix:
                yield from _api_urls(entry, prefix or "api")
        elif isinstance(entry, URLPattern) and prefix and entry.name not in ("docs",):
            yield entry


def test_it_answers_401_to_anonymous_callers_of_every_api_address(client):
    checked = 0
    for entry in _api_urls():
        kwargs = {name: "00000000-0000-4000-8000-000000000000" for name in entry.pattern.converters}
        url = (
            reverse(f"api:{entry.name}", kwargs=kwargs)
            if entry.name != "not_found"
            else "/api/v1/nothing/"
        )
        for method in ("get", "post", "patch"):
            response = getattr(client, method)(url)
            assert response.status_code == 401, (entry.name, method)
            if entry.name != "schema":  # the schema's answers are in the schema's format
                assert response.json()["error"]["code"] == "not_authenticated"
            checked += 1
    assert checked > 60
