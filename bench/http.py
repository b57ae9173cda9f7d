"""Requests a second over HTTP: `engage serve` (gunicorn, production settings) against a
database `bench.generate` filled, loaded by `wrk` (issue 17: the throughput the in-process
timings of `bench.run` do not give).

    ENGAGE_DATA_DIR=/tmp/engage-bench-10000 .venv/bin/python -m bench.http [--seconds 15]

It starts `engage serve` on a port of its own with DEBUG off, the bench's development keys
passed as the production variables, and signs a generated case manager and supervisor in by
writing their sessions as a sign-in with the second step leaves them (`signed_in_session`;
deleted when the run ends, however it ends).
Then, page after page, `wrk` keeps `--connections` requests open for `--seconds` and reports
the requests served a second and the latency percentiles. The server's workers and `wrk`
share the machine: run it on an otherwise idle one, and read the figures beside the machine
line it prints.

`wrk` is Debian's package (`apt-get install wrk`): a load generator in C, light beside the
server, where one written here in Python would take a core from it. PostgreSQL: set
DATABASE_URL, as for `bench.run`.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CASE_MANAGER = "bench-bg-cla-cm1"
SUPERVISOR = "bench-bg-cla-sup1"
SESSION_COOKIE = "__Host-sessionid"  # the production name (settings, DEBUG off)


def production_environment(data_dir: Path) -> dict[str, str]:
    """The variables `engage serve` needs with DEBUG off, for the bench's database: its
    development keys (`bench.generate` made them beside the data folder) as the production
    keys, a secret key of this run, plain HTTP on the loopback."""
    keys_file = data_dir.resolve().parent / f".{data_dir.resolve().name}-development-keys.json"
    keys = json.loads(keys_file.read_text())
    return {
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ENGAGE_FIELD_KEYS": keys["field"],
        "ENGAGE_INDEX_KEY": keys["index"],
        "ALLOWED_HOSTS": "127.0.0.1",
        # Behind the documented TLS proxy, played by a header (no certificate on the loopback).
        "ENGAGE_BEHIND_TLS_PROXY": "true",
        "SECURE_SSL_REDIRECT": "false",
    }


def signed_in_session(username: str) -> str:
    """A session key of `username`, signed in with both steps, as the sign-in leaves it: the
    user and backend, the password's hash, the second step's device (an authenticator, or a
    security key for the roles that must use one; made once for the bench's user, as stored:
    neither can sign anything), and the session's start (the idle sign-out's clock)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    from engage.accounts.factories import SecurityKeyFactory
    from engage.accounts.middleware import LAST_SEEN, STARTED_AT
    from engage.accounts.models import User
    from engage.accounts.security_keys import key_required

    user = User.objects.get(username=username)
    device: TOTPDevice | WebAuthnCredential
    if key_required(user):
        key = WebAuthnCredential.objects.filter(user=user, name="bench").first()
        device = key or SecurityKeyFactory(user=user, name="bench")
    else:
        device, _made = TOTPDevice.objects.get_or_create(
            user=user, name="bench", defaults={"confirmed": True}
        )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "engage.accounts.backends.UserBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    # Far enough ahead that a run of several minutes is never signed out as idle.
    session[STARTED_AT] = session[LAST_SEEN] = time.time() + 3600
    session.create()
    assert session.session_key is not None  # noqa: S101 (create() gives one)
    return session.session_key


@dataclass
class Throughput:
    requests_per_second: float
    latency_ms: dict[str, float]  # percentile ("50%", "90%", "99%") -> milliseconds
    errors: str  # wrk's line on non-2xx answers and socket errors, or ""


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> Throughput:
    """The requests a second, latency percentiles and errors of `wrk --latency`'s report."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rate is None:
        raise ValueError(f"not a wrk report:\n{output}")
    latency = {
        percent: float(value) * _UNITS[unit]
        for percent, value, unit in re.findall(
            r"^\s+(\d+%)\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE
        )
    }
    errors = [
        line.strip()
        for line in output.splitlines()
        if line.strip().startswith(("Non-2xx", "Socket errors"))
    ]
    return Throughput(float(rate.group(1)), latency, "; ".join(errors))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(environment: dict[str, str], workers: int) -> Iterator[str]:
    """`engage serve` on a free port of the loopback, until the block ends; its address."""
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        yield from _serve(environment, workers, port, log)


def _serve(environment: dict[str, str], workers: int, port: int, log: Any) -> Iterator[str]:
    server = subprocess.Popen(  # noqa: S603 (our own command)
        [
            str(Path(sys.executable).with_name("engage")),
            "serve",
            "--no-migrate",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        env={**os.environ, **environment},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # collectstatic first, then gunicorn
        while True:
            try:
                with urllib.request.urlopen(f"{address}/health/", timeout=5):  # noqa: S310
                    break
            except (urllib.error.URLError, ConnectionError) as error:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(
                        f"engage serve did not start:\n{log.read().decode()}"
                    ) from error
                time.sleep(0.5)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)


def status_of(address: str, path: str, cookie: str) -> int:
    """The status of one request, redirects not followed: wrk counts a redirect (to the
    sign-in, for a session the server refused) as a success."""
    host, port = address.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"X-Forwarded-Proto": "https"}
    if cookie:
        headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def load(address: str, path: str, cookie: str, *, seconds: int, connections: int) -> Throughput:
    """`wrk` on one page: `connections` requests kept open for `seconds`, signed in."""
    headers = ["-H", "X-Forwarded-Proto: https"]
    if cookie:
        headers += ["-H", f"Cookie: {SESSION_COOKIE}={cookie}"]
    done = subprocess.run(  # noqa: S603 (wrk, found on the path by `main`)
        [
            shutil.which("wrk") or "wrk", "--latency", "--threads", "1", "--connections", str(connections),
            "--duration", f"{seconds}s", *headers, f"{address}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    return parse_wrk(done.stdout)


def _measure(
    environment: dict[str, str],
    arguments: argparse.Namespace,
    pages: tuple[tuple[str, str, str], ...],
) -> list[tuple[str, Throughput]]:
    """Each page in turn under `wrk`, against a server started for the run."""
    rows: list[tuple[str, Throughput]] = []
    with serving(environment, arguments.workers) as address:
        for name, cookie, path in pages:
            if (status := status_of(address, path, cookie)) != 200:
                raise RuntimeError(f"{name}: {path} answered {status}, not 200")
            load(address, path, cookie, seconds=1, connections=1)  # warm every worker
            found = load(
                address,
                path,
                cookie,
                seconds=arguments.seconds,
                connections=arguments.connections,
            )
            if found.errors:
                raise RuntimeError(f"{name}: {found.errors} (signed out, or refused?)")
            rows.append((name, found))
            print(f"  {name}: {found.requests_per_second:.1f} requests/s", file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="load per page")
    parser.add_argument("--connections", type=int, default=4, help="requests kept open")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    arguments = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk).", file=sys.stderr)
        return 1
    data_dir = Path(os.environ.get("ENGAGE_DATA_DIR", "data"))
    environment = production_environment(data_dir)
    # This process reads and writes the same database with the server's settings.
    os.environ.update(environment)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage.settings")
    import django

    django.setup()
    from django.db import connection

    from bench.run import machine
    from engage.accounts.models import User
    from engage.cases.models import Case, Stage
    from engage.lib.scoping import scopes_disabled

    with scopes_disabled():
        clients = Case.objects.count()
        if not clients:
            print("No cases: run `python -m bench.generate --clients N` first.", file=sys.stderr)
            return 1
        manager = User.objects.get(username=CASE_MANAGER)
        case = (
            Case.objects.filter(case_manager=manager, stage=Stage.ACTIVE)
            .order_by("referral_date")
            .first()
        )
        assert case is not None  # noqa: S101 (the generator gives every manager active cases)
        cm, supervisor = signed_in_session(CASE_MANAGER), signed_in_session(SUPERVISOR)
    pages: tuple[tuple[str, str, str], ...] = (
        ("reference: /health/, no database, signed out", "", "/health/"),
        ("reference: the session's status, signed in", cm, "/accounts/session/"),
        ("caseload (case manager's home)", cm, "/"),
        ("case list", cm, "/cases/"),
        ("case page", cm, f"/cases/{case.pk}/"),
        ("supervisor's home", supervisor, "/"),
    )
    try:
        rows = _measure(environment, arguments, pages)
    finally:
        # The bench's sessions end with the run: no signed-in session is left in the database.
        from django.contrib.sessions.backends.db import SessionStore

        for key in (cm, supervisor):
            SessionStore(session_key=key).delete()
    print(f"### Over HTTP: {clients:,} clients, {connection.vendor}")
    print()
    print(
        f"Machine: {machine()}. `engage serve` with {arguments.workers} workers, DEBUG off; "
        f"wrk, {arguments.connections} connections, {arguments.seconds} s a page."
    )
    print()
    print("| page | requests/s | latency p50 / p90 / p99 |")
    print("| --- | --- | --- |")
    for name, found in rows:
        latency = " / ".join(f"{found.latency_ms.get(p, 0):.0f} ms" for p in ("50%", "90%", "99%"))
        print(f"| {name} | {found.requests_per_second:.1f} | {latency} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
