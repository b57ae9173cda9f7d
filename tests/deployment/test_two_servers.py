"""More than one machine (issue 17 #4, docs/deployment.md): two `engage serve` processes on two
ports, each with a data folder of its own, against one PostgreSQL and one shared files volume.
A person signed in on one is signed in on the other, wrong passwords on both add up to one
lockout, a document sent to one is read through the other, and an import started on one is
stored by a separate worker and its result shown by the other."""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from PIL import Image

from engage.accounts import lockout
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.documents import storage
from engage.documents.models import Document
from engage.imports.models import ImportJob
from tests.conftest import TEST_FIELD_KEY, TEST_INDEX_KEY
from tests.imports.conftest import HEADERS, csv_bytes
from tests.imports.test_pages import _mapping_post

PASSWORD = "two-servers-password"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    """The test database pytest-django made, as the servers' DATABASE_URL."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


class Node:
    """One machine: `engage serve` with its own data folder, the shared database and files."""

    def __init__(self, name: str, environment: dict[str, str], tmp_path: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = environment | {"ENGAGE_DATA_DIR": str(tmp_path / f"node-{name}")}
        self.log = tmp_path / f"node-{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
                [sys.executable, "-m", "engage", "serve", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", "2", "--no-migrate"],
                env=self.environment, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own, stopped whole
            )  # fmt: skip

    def wait_until_up(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"node {self.name} stopped:\n{self.log.read_text()}")
            try:
                requests.get(f"{self.url}/accounts/login/", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.3)
        pytest.fail(f"node {self.name} did not answer:\n{self.log.read_text()}")

    def stop(self) -> None:
        # The server and its gunicorn workers at once: even gunicorn's quick shutdown took
        # 12 s here, and nothing of this test depends on how a server stops.
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def environment(transactional_db, settings) -> dict[str, str]:
    if connection.vendor != "postgresql":
        pytest.skip(
            "Several web machines share one database server: PostgreSQL. SQLite is a file of "
            "one machine (docs/deployment.md)"
        )
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("ENGAGE_", "DJANGO_"))}
    return kept | {
        "DATABASE_URL": _database_url(),
        # Debug, so plain HTTP keeps its cookies (production's are __Host- and HTTPS only).
        "DEBUG": "true",
        "SECRET_KEY": "one-secret-for-every-node",
        "ENGAGE_FIELD_KEYS": TEST_FIELD_KEY,
        "ENGAGE_INDEX_KEY": TEST_INDEX_KEY,
        "ENGAGE_MFA_REQUIRED": "false",
        # The shared volume; this test's own folders, which the test process reads too.
        "ENGAGE_DOCUMENTS_DIR": str(settings.ENGAGE_DOCUMENTS_DIR),
        "ENGAGE_IMPORTS_DIR": str(settings.ENGAGE_IMPORTS_DIR),
    }


@pytest.fixture
def nodes(environment, tmp_path) -> Iterator[tuple[Node, Node]]:
    a, b = Node("a", environment, tmp_path), Node("b", environment, tmp_path)
    try:
        deadline = time.monotonic() + 120
        a.wait_until_up(deadline)
        b.wait_until_up(deadline)
        yield a, b
    finally:
        a.stop()
        b.stop()


def _with_password(user):
    # The servers check passwords with the production hashers, not the tests' fast one.
    hasher = Argon2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    return user


def _token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return TOKEN.search(page.text).group(1)


def _sign_in(session: requests.Session, node: Node, username: str, password: str):
    token = _token(session, f"{node.url}/accounts/login/")
    return session.post(
        f"{node.url}/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": username, "password": password},
        allow_redirects=False,
        timeout=30,
    )


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6, 6), "green").save(out, format="PNG")
    return out.getvalue()


def test_it_shares_sessions_lockouts_documents_and_tasks_between_two_servers(
    nodes, environment, alice, bob, ada, organisation
):
    a, b = nodes
    _with_password(alice)
    _with_password(bob)
    _with_password(ada)
    case = CaseFactory(organisation=organisation, case_manager=alice)

    # Signed in on A, the same cookie is a session on B; signed out on B, it is over on A too.
    browser = requests.Session()
    assert _sign_in(browser, a, "alice", PASSWORD).status_code == 302
    home = browser.get(f"{b.url}/", allow_redirects=False, timeout=30)
    assert home.status_code == 200 and "Alice" in home.text
    logout = _token(browser, f"{b.url}/")
    browser.post(f"{b.url}/accounts/logout/", {"csrfmiddlewaretoken": logout}, timeout=30)
    assert (
        "/accounts/login/"
        in browser.get(f"{a.url}/", allow_redirects=False, timeout=30).headers["Location"]
    )

    # Three wrong passwords on A and two on B: the fifth locks Bob out, on both.
    guesser = requests.Session()
    for node in (a, a, a, b):
        assert _sign_in(guesser, node, "bob", "wrong password").status_code == 401
    assert _sign_in(guesser, b, "bob", "wrong password").status_code == 429
    # Counted under one key on both: the username's digest keyed with the nodes' secret key.
    with override_settings(SECRET_KEY="one-secret-for-every-node"):
        bobs = lockout.of_username("bob")
    assert AccessAttempt.objects.get(username=bobs).failures_since_start == 5
    assert _sign_in(requests.Session(), a, "bob", PASSWORD).status_code == 429

    # A document sent to A is read through B, decrypted with the same keys, and audited.
    assert _sign_in(browser, a, "alice", PASSWORD).status_code == 302
    documents = f"/documents/cases/{case.pk}/"
    sent = browser.post(
        f"{a.url}{documents}",
        {"csrfmiddlewaretoken": _token(browser, f"{a.url}{documents}"),
         "kind": "decision", "title": "Decision of the asylum office"},
        files={"file": ("scan.png", _png(), "image/png")},
        allow_redirects=False, timeout=30,
    )  # fmt: skip
    assert sent.status_code == 302
    document = Document.objects.get(case=case)
    assert str(document.pk) in browser.get(f"{b.url}{documents}", timeout=30).text
    read = browser.get(f"{b.url}/documents/{document.pk}/download/", timeout=30)
    assert read.status_code == 200 and read.content == storage.load(document.pk)
    assert Image.open(io.BytesIO(read.content)).size == (6, 6)
    assert AuditEvent.objects.filter(
        actor_id=alice.pk, action=AuditEvent.Action.VIEW, object_id=document.pk
    ).exists()

    # An import uploaded to A, mapped on B and started on A is stored by a worker (a process
    # of its own) and its result shown by B.
    admin = requests.Session()
    assert _sign_in(admin, a, "ada", PASSWORD).status_code == 302
    rows = [[f"Given{n}", f"Family{n}", "01/02/1990", "F", "SY", "02/01/2024", "ngo", "none",
             "irregular", "alice", ""] for n in range(3)]  # fmt: skip
    uploaded = admin.post(
        f"{a.url}/imports/",
        {"csrfmiddlewaretoken": _token(admin, f"{a.url}/imports/")},
        files={"file": ("caseload.csv", csv_bytes(HEADERS, rows), "text/csv")},
        allow_redirects=False, timeout=60,
    )  # fmt: skip
    assert uploaded.status_code == 302
    job = ImportJob.objects.get()
    mapping = f"/imports/{job.pk}/mapping/"
    mapped = admin.post(
        f"{b.url}{mapping}",
        _mapping_post(job) | {"csrfmiddlewaretoken": _token(admin, f"{b.url}{mapping}")},
        allow_redirects=False, timeout=60,
    )  # fmt: skip
    assert mapped.status_code == 302
    started = admin.post(
        f"{a.url}/imports/{job.pk}/commit/",
        {"csrfmiddlewaretoken": _token(admin, f"{a.url}/imports/{job.pk}/")},
        allow_redirects=False, timeout=60,
    )  # fmt: skip
    assert started.status_code == 302
    assert "Waiting to start" in admin.get(f"{b.url}/imports/{job.pk}/", timeout=30).text
    subprocess.run(
        [sys.executable, "-m", "engage", "worker", "--batch", "--no-reload", "--no-startup-delay"],
        env=environment | {"ENGAGE_DATA_DIR": str(Path(a.environment["ENGAGE_DATA_DIR"]).parent / "worker")},
        check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (
        "3 referrals were registered." in admin.get(f"{b.url}/imports/{job.pk}/", timeout=30).text
    )


def test_it_keeps_the_cache_in_the_database(db):
    cache.set("two-servers", "shared", 60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM engage_cache")
        assert [key for (key,) in cursor.fetchall() if key.endswith("two-servers")]
    assert cache.get("two-servers") == "shared"
