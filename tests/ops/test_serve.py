"""`engage serve` never starts in debug mode by accident (issue 10 #20)."""

import os
import subprocess
import sys

from tests.conftest import TEST_FIELD_KEY, TEST_INDEX_KEY


def _serve(tmp_path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment |= {
        "ENGAGE_DATA_DIR": str(tmp_path),
        "ENGAGE_FIELD_KEYS": TEST_FIELD_KEY,
        "ENGAGE_INDEX_KEY": TEST_INDEX_KEY,
    } | env
    return subprocess.run(
        [sys.executable, "-m", "engage", "serve", "--bind", "127.0.0.1:1", "--workers", "1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_refuses_to_serve_when_debug_is_not_set(tmp_path):
    result = _serve(tmp_path)
    assert result.returncode != 0
    assert "DEBUG is not set" in result.stderr and "DEBUG=false" in result.stderr
    # Refused before touching anything: no database was made, nothing was collected.
    assert not (tmp_path / "engage.sqlite3").exists() and not (tmp_path / "static").exists()
