import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import *  # noqa: F403  (the named people and settings of the suite)


def pytest_addoption(parser):
    parser.addoption("--count", default="10000")
from tests.conftest import _documents_dir, _no_organisation_scope  # noqa: E402, F401
