"""docs/architecture.md tells the truth about the apps and their dependencies.

`lint-imports` (in `make lint`) keeps the direction of the layers; these tests keep the docs'
table equal to the imports the code really makes, so a row cannot drift again: an app that starts
importing another must say so in its row, and a row cannot name an app the code no longer uses.
"""

import re
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
# Rows whose "depends on" is a summary rather than a list: nothing imports them (the layers).
SUMMARY = {"every domain app", "Django only"}


@cache
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("engage", include_external_packages=False)


def _apps() -> set[str]:
    return {
        path.name
        for path in (ROOT / "engage").iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    }


def _imports(app: str) -> set[str]:
    graph = _graph()
    return {
        other
        for other in _apps() - {app}
        if graph.direct_import_exists(
            importer=f"engage.{app}", imported=f"engage.{other}", as_packages=True
        )
    }


def _table() -> dict[str, str]:
    rows = {}
    for line in ARCHITECTURE.read_text().splitlines():
        match = re.match(r"\| `engage\.(\w+)` \|.*\| (.+?) \|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_it_describes_every_app_in_the_table():
    assert set(_table()) == _apps()


@pytest.mark.parametrize("app", sorted(_apps()))
def test_it_names_exactly_the_apps_each_app_imports(app):
    written = _table().get(app, "")
    if any(written.startswith(summary) for summary in SUMMARY):
        if written.startswith("Django only"):
            assert _imports(app) == set(), f"{app} imports other apps but its row says Django only"
        return
    named = set(re.findall(r"`(\w+)`", written))
    assert named == _imports(app), f"the row of engage.{app} in docs/architecture.md"


def test_it_lists_every_app_in_one_layer_of_the_import_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = config["tool"]["importlinter"]["contracts"]
    layered = set(re.findall(r"engage\.(\w+)", " ".join(contract["layers"])))
    assert _apps() <= layered


def test_it_keeps_the_import_contract():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
