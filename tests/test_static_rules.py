"""The project's Semgrep rules find what they forbid (R05, R11, R40b), and engage/ has none."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `make lint` installs Semgrep in a venv of its own beside the project's (see the Makefile).
SEMGREP = shutil.which("semgrep", path=str(Path(sys.executable).parent)) or next(
    (str(p) for p in sorted(Path(sys.executable).parent.parent.glob("semgrep-*/bin/semgrep"))),
    None,
)

pytestmark = pytest.mark.skipif(SEMGREP is None, reason="semgrep is not installed")

VIOLATIONS = {
    "engage/badapp/views.py": """
from django.core.mail import send_mail
from django.db import connection
from django.http import HttpResponse
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
import requests
from django_scopes import scopes_disabled

from engage.cases.models import Case, Person


@csrf_exempt
def view(request):
    connection.cursor().execute("SELECT 1")
    send_mail("subject", "body", "a@example.org", ["b@example.org"])
    requests.post("https://example.org", data={})
    people = Person.objects.all()
    cases = Case.objects.filter(pk=1)
    with scopes_disabled():
        everyone = list(Person.objects.with_scopes_disabled().all())
    return HttpResponse(mark_safe("<b>x</b>"), content_type="text/csv")
""",
}
EXPECTED = {
    "raw-sql",
    "csrf-exempt",
    "mark-safe",
    "outbound-outside-sharing",
    "unscoped-case-query-in-view",
    "scopes-disabled-outside-jobs",
}


def _scan(target: Path) -> list[str]:
    result = subprocess.run(  # noqa: S603 (our own rules on our own files)
        [SEMGREP, "scan", "--config", str(ROOT / ".semgrep"), "--metrics=off",
         "--disable-version-check", "--json", "--quiet", str(target)],
        capture_output=True, text=True, timeout=300, check=False,
        env={"SEMGREP_ENABLE_VERSION_CHECK": "0", "PATH": "/usr/bin:/bin", "HOME": str(target)},
    )  # fmt: skip
    return [finding["check_id"].rsplit(".", 1)[-1] for finding in json.loads(result.stdout)["results"]]


def test_its_rules_catch_each_forbidden_pattern(tmp_path):
    for name, source in VIOLATIONS.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True)
        path.write_text(source)
    assert set(_scan(tmp_path)) == EXPECTED
