"""PostgreSQL prepares the pages' queries once a connection has run them a few times, so it no
longer plans them on every request (settings: DATABASE_PREPARED_STATEMENTS; issue 17)."""

import json

import pytest
from django.db import connection

from tests.test_settings import PRODUCTION, _engage

PRINT_OPTIONS = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
)


def _options(**env: str) -> dict:
    result = _engage(
        "shell",
        "-c",
        PRINT_OPTIONS,
        env={**PRODUCTION, "DATABASE_URL": "postgres://engage@db.example.org/engage", **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # after the shell's own notice


def test_it_prepares_statements_on_postgresql_unless_told_not_to():
    assert _options() == {
        "options": "-c jit=off",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    # Behind a pooler that cannot keep them: Django's own client-side binding, nothing prepared.
    assert _options(DATABASE_PREPARED_STATEMENTS="false") == {"options": "-c jit=off"}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: the PostgreSQL run"
)
@pytest.mark.django_db
def test_a_page_asked_for_again_runs_prepared_statements(as_user, alice):
    client = as_user(alice)

    def prepared() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return {row[0] for row in cursor.fetchall()}

    before = prepared()
    for _n in range(6):
        assert client.get("/cases/").status_code == 200
    # The case list's own query (the reader's cases) among them, not only the session's.
    assert any('FROM "cases_case"' in statement for statement in prepared() - before)
