"""The project's Semgrep rules find what they forbid (R05, R11, R40b; PDFs laid out only through
engage.lib.pdf), and engage/ has none."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
from weasyprint import HTML

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
    HTML(string="<img src='http://example.org/x.png'>").write_pdf()
    return HttpResponse(mark_safe("<b>x</b>"), content_type="text/csv")
""",
}
EXPECTED = {
    "raw-sql",
    "csrf-exempt",
    "mark-safe",
    "outbound-outside-sharing",
    "unscoped-query-in-view",
    "scopes-disabled-outside-jobs",
    "pdf-outside-lib",
}


def _scan(target: Path) -> list[tuple[str, str, int]]:
    """Return the (file, rule, line) of every finding in `target`, the file relative to it."""
    result = subprocess.run(  # noqa: S603 (our own rules on our own files)
        [SEMGREP, "scan", "--config", str(ROOT / ".semgrep"), "--metrics=off",
         "--disable-version-check", "--json", "--quiet", str(target)],
        capture_output=True, text=True, timeout=300, check=False,
        env={"SEMGREP_ENABLE_VERSION_CHECK": "0", "PATH": "/usr/bin:/bin", "HOME": str(target)},
    )  # fmt: skip
    return sorted(
        (
            str(Path(finding["path"]).relative_to(target)),
            finding["check_id"].rsplit(".", 1)[-1],
            finding["start"]["line"],
        )
        for finding in json.loads(result.stdout)["results"]
    )


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> list[tuple[str, str, int]]:
    """One scan of every file the tests below write: Semgrep takes 1.7 s of CPU to start and
    load the rules, whatever it scans, so the files share a tree and the tests its findings."""
    target = tmp_path_factory.mktemp("semgrep")
    for name, source in {**VIOLATIONS, UNSCOPED_VIEW_FILE: UNSCOPED_VIEW}.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return _scan(target)


def test_its_rules_catch_each_forbidden_pattern(findings):
    assert {rule for file, rule, _line in findings if file in VIOLATIONS} == EXPECTED


# A view that reaches scoped models without starting from the user (lines 9 and 10), and
# one query that does (line 11).
UNSCOPED_VIEW_FILE = "engage/otherapp/views.py"
UNSCOPED_VIEW = """
from django.shortcuts import get_object_or_404

from engage.history.models import Change
from engage.liaison.models import ReportingEvent


def events(request, obligation):
    listed = ReportingEvent.objects.filter(obligation=obligation)
    change = get_object_or_404(Change, pk=1)
    mine = ReportingEvent.objects.visible_to(request.user).filter(obligation=obligation)
    return listed, change, mine
"""


def test_it_refuses_a_scoped_model_queried_in_a_view_without_visible_to(findings):
    assert [(rule, line) for file, rule, line in findings if file == UNSCOPED_VIEW_FILE] == [
        ("unscoped-query-in-view", 9),
        ("unscoped-query-in-view", 10),
    ]


def _models_named_in(rule_id: str) -> set[str]:
    """Every model name in the rule's `$MODEL` lists."""
    rules = yaml.safe_load((ROOT / ".semgrep" / "engage.yml").read_text())["rules"]
    (rule,) = [r for r in rules if r["id"] == rule_id]
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            regex = node.get("metavariable-regex", {})
            if regex.get("metavariable") == "$MODEL":
                listed = re.fullmatch(r"\^\((.*)\)\$", regex["regex"].strip())
                assert listed, regex["regex"]
                names.update(listed[1].split("|"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(rule)
    return names


def test_its_view_rule_names_every_organisation_scoped_model():
    """The rule lists models by name: it follows every model built with organisation_scoped."""
    from django.apps import apps

    scoped = {
        model.__name__
        for model in apps.get_models()
        if hasattr(type(model._default_manager), "organisation_path")
    }
    assert scoped, "no scoped model found: has engage.lib.scoping.organisation_scoped changed?"
    assert _models_named_in("unscoped-query-in-view") == scoped
