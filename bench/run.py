"""Time the pages and jobs of issue 17 against a database `bench.generate` filled.

    ENGAGE_DATA_DIR=/tmp/bench-data .venv/bin/python -m bench.run [--repeat 30] [--jobs 3]

Pages: the median server time of `--repeat` requests, after `--warm` (12) timed apart (`WARM`),
through Django's test Client (the whole middleware stack, templates rendered; no network, no
static files), and the queries of one request, signed in as a generated case manager
(`bench-bg-cla-cm1`) or supervisor (`bench-bg-cla-sup1`). Jobs: the median of `--jobs` runs in
this process, through the same services as the commands (`engage mel_report`, `export_dataset`,
`import_dataset`). The MEL report from imported rows is set beside DuckDB computing the same
core indicators from the same rows (the submissions' `cases.csv`): `pip install -e '.[bench]'`;
without DuckDB that line is left out. On PostgreSQL the bench also prints EXPLAIN ANALYZE of the
caseload's and case list's slowest queries and flags every sequential scan of a table at least
as large as the number of clients (a table that grows with the network).

Output: a markdown table (and the plans), for docs/performance.md.
"""

import argparse
import datetime
import logging
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from engage.accounts.models import Organisation, User  # noqa: E402
from engage.cases.models import Case, Stage  # noqa: E402
from engage.lib.scoping import scopes_disabled  # noqa: E402
from engage.mel import services  # noqa: E402
from engage.mel.dataset.case_rows import CaseRow, OrganisationRows  # noqa: E402
from engage.ops.statistics import analyse  # noqa: E402

CASE_MANAGER = "bench-bg-cla-cm1"
# Every page but the reference (issue 17 §2: no sequential scan of a table that grows).
EXPLAINED = (
    "caseload (case manager's home)",
    "case list",
    "case list, searching a name",
    "case page",
    "week view",
    "supervisor's home",
    "approval queue",
    "case list, supervisor",
)
SUPERVISOR = "bench-bg-cla-sup1"
# Requests of a page before those timed, their median shown apart: a server process's steady
# state. On PostgreSQL a statement is prepared at its sixth execution on a connection (psycopg's
# `prepare_threshold`, settings.py), then planned afresh at each of its first five executions as
# a prepared statement before PostgreSQL keeps a generic plan: the case page took 53-66 ms for
# its first eleven requests and 44-48 ms from the twelfth on, for the same CPU
# (docs/performance.md, "5 December, fourth session"). SQLite has no such phase.
WARM = 12
NETWORK = "network"


class QueryLog:
    """Every query run while active: its SQL, parameters and time (a connection wrapper,
    lighter than Django's debug cursor)."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, Any, float]] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, params, time.perf_counter() - started))


def time_page(client: Client, url: str, repeat: int) -> tuple[float, float, int, QueryLog]:
    """The median milliseconds of `repeat` requests (wall clock, and this process's CPU), and
    the queries of the last one."""
    times, cpu = [], []
    log = QueryLog()
    for _n in range(repeat):
        log = QueryLog()
        with connection.execute_wrapper(log):
            started, used = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.get('Location', '')}")
    return statistics.median(times), statistics.median(cpu), len(log.queries), log


def time_job(job: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _n in range(repeat):
        started = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


# DuckDB: the same core indicators from the same rows, one grouped query per breakdown.

DUCKDB_LOAD = """
CREATE TABLE cohort AS
WITH rows AS (
    SELECT *, CASE WHEN closure_month IS NULL OR closure_month = '' OR closure_month > $end
                   THEN 1 ELSE 0 END AS active
    FROM read_csv($files, all_varchar = true, header = true)
)
SELECT *, split_part(pilot, '-', 1) AS country,
    CASE WHEN active = 0 AND closure_reason = 'removed' THEN 'removed'
         WHEN (active = 0 AND closure_reason IN ('disengaged', 'absconded'))
           OR (active = 1 AND engagement_level = 'disengaged') THEN 'disengaged'
         ELSE 'engaged' END AS engagement
FROM rows
WHERE included = 'true' AND inclusion_month <= $end
  AND NOT (closure_reason = 'deceased' AND active = 0)
"""
# The total and each breakdown of the report (indicators.DISAGGREGATIONS) in one query.
DUCKDB_INDICATORS = """
SELECT pilot, country, coalesce(nullif(city, ''), 'unknown') AS city, vulnerable,
    detention_at_referral, sex, age_band, migration_status,
    sum(active) AS ben01,
    count(*) AS ben03,
    sum(CASE WHEN detention_at_referral IN ('in_detention', 'released') THEN 1 ELSE 0 END)
        AS ben05,
    sum(CASE WHEN vulnerable = 'false' THEN 1 ELSE 0 END) AS ben06,
    sum(CASE WHEN engagement = 'engaged' THEN 1 ELSE 0 END) AS eng01,
    sum(CASE WHEN engagement = 'disengaged' THEN 1 ELSE 0 END) AS eng02,
    sum(CASE WHEN engagement = 'removed' THEN 1 ELSE 0 END) AS eng03,
    -- An outcome reached after the period is not counted (dataset.rollback, as of `end`).
    sum(CASE WHEN outcome <> '' AND coalesce(outcome_month, '') <= $end THEN 1 ELSE 0 END)
        AS res01,
    sum(CASE WHEN CAST(assessments AS INTEGER) >= 2 THEN 1 ELSE 0 END) AS cap04,
    sum(CAST(face_to_face_contacts AS INTEGER)) AS con01_numerator,
    sum(CAST(contacts AS INTEGER)) AS con01_denominator
FROM cohort
GROUP BY GROUPING SETS ((), (pilot), (country), (3), (vulnerable), (detention_at_referral),
                        (sex), (age_band), (migration_status))
"""


def duckdb_indicators(files: list[str], end: str) -> dict[str, int]:
    """Load the CSVs into an in-memory DuckDB and compute; return the totals (ben01, ...)."""
    import duckdb

    with duckdb.connect() as db:
        db.execute(DUCKDB_LOAD, {"files": files, "end": end})
        cursor = db.execute(DUCKDB_INDICATORS, {"end": end})
        names = [column[0] for column in cursor.description]
        found = cursor.fetchall()
    total = next(row for row in found if all(value is None for value in row[:8]))
    return dict(zip(names[8:], total[8:], strict=True))


def engage_totals(report: dict) -> dict[str, int]:
    found = {item["id"]: item for item in report["indicators"]}
    names = ("BEN-01", "BEN-03", "BEN-05", "BEN-06", "ENG-01", "ENG-02", "ENG-03", "RES-01",
             "CAP-04")  # fmt: skip
    return {name: found[name]["numerator"] for name in names if name in found}


# EXPLAIN on PostgreSQL


def growing_tables(clients: int) -> dict[str, int]:
    """The tables that grow with the network: at least a tenth as many rows as clients."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class "
            "WHERE relkind = 'r' AND reltuples >= %s",
            [clients / 10],
        )
        return dict(cursor.fetchall())


def explain(page: str, log: QueryLog, clients: int) -> list[str]:
    """EXPLAIN ANALYZE of every SELECT of the page: each query's execution time in the plan
    (not the wall clock of a loaded machine) and the sequential scans of growing tables; the
    slowest query's plan in full."""
    growing = growing_tables(clients)
    explained = []
    for sql, params, _seconds in log.queries:
        # A `UNION ALL` of `read_together` starts with its first part's parenthesis.
        if not sql.lstrip().lstrip("(").upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        took = sum(
            float(line.split(":")[1].split()[0])
            for line in plan
            if line.startswith(("Execution Time", "Planning Time"))
        )
        scans = sorted(
            {
                line.split("Seq Scan on ")[1].split()[0]
                for line in plan
                if "Seq Scan on " in line and line.split("Seq Scan on ")[1].split()[0] in growing
            }
        )
        explained.append((took, sql, plan, scans))
    lines = [f"#### {page}", "", "| query (its first column's table) | planning + execution "
             "| sequential scans of growing tables |"]  # fmt: skip
    lines.append("| --- | --- | --- |")
    for took, sql, _plan, scans in explained:
        table = sql.split('"')[1] if '"' in sql else sql[:30]
        if sql.lstrip().startswith("("):  # the tables of the union's parts
            parts = re.findall(r'\) AS "read_together_row" FROM "([^"]+)"', sql)
            table = "union of " + ", ".join(parts)
        flagged = ", ".join(f"**{name}** ({growing[name]:,} rows)" for name in scans) or "none"
        lines.append(f"| {table} | {took:.2f} ms | {flagged} |")
    if explained:
        took, sql, plan, _scans = max(explained, key=lambda entry: entry[0])
        lines += ["", f"The slowest, {took:.2f} ms:", "", "```", *plan, "```"]
    lines.append("")
    return lines


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as file:
            model = next((ln.split(":", 1)[1].strip() for ln in file if "model name" in ln), "")
        with open("/proc/meminfo") as file:
            memory = int(file.readline().split()[1]) // 1024 // 1024
    except OSError:
        memory = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            database = f"SQLite {cursor.fetchone()[0]}"
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory} GiB RAM, Python "
        f"{platform.python_version()}, {database}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests per page")
    parser.add_argument(
        "--warm", type=int, default=WARM, help="requests per page before those timed"
    )
    parser.add_argument("--jobs", type=int, default=3, help="runs per job")
    parser.add_argument("--no-jobs", action="store_true", help="pages only")
    parser.add_argument("--no-pages", action="store_true", help="jobs only")
    arguments = parser.parse_args(argv)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # As in production from here on: no query log kept by Django, templates without debug
    # information (the settings made at start-up, keys and MFA, stay the development ones).
    settings.DEBUG = False
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    with scopes_disabled():
        clients = Case.objects.count()
        if not clients:
            print("No cases: run `python -m bench.generate --clients N` first.", file=sys.stderr)
            return 1
    # SQLite: the planner's statistics as the daily `engage enqueue statistics` leaves them
    # (the generator's bulk load came after the `ANALYZE` of `migrate`; docs/performance.md).
    started = time.perf_counter()
    if analyse():
        print(
            f"  SQLite statistics gathered: {time.perf_counter() - started:.1f}s", file=sys.stderr
        )
    with scopes_disabled():
        manager = User.objects.get(username=CASE_MANAGER)
        case = (
            Case.objects.filter(case_manager=manager, stage=Stage.ACTIVE)
            .select_related("person")
            .order_by("referral_date")
            .first()
        )
        assert case is not None  # noqa: S101 (the generator gives every manager active cases)
        person = case.person
        # The client's name as the index splits it (a hyphen typed is not a word break).
        query = f"{person.given_name} {person.family_name}".replace("-", " ").replace(" ", "+")
    rows: list[tuple[str, str, str]] = []
    plans: list[str] = []
    cm, supervisor = signed_in(CASE_MANAGER), signed_in(SUPERVISOR)
    pages = (
        # The load of the machine: a page that reads nothing (its time is the floor).
        ("reference: /health/, no database", cm, "/health/"),
        ("caseload (case manager's home)", cm, "/"),
        ("case list", cm, "/cases/"),
        ("case list, searching a name", cm, f"/cases/?q={query}"),
        ("case page", cm, f"/cases/{case.pk}/"),
        ("week view", cm, "/agenda/"),
        ("supervisor's home", supervisor, "/"),
        ("approval queue", supervisor, "/cases/approvals/"),
        ("case list, supervisor", supervisor, "/cases/"),
    )
    for name, client, url in pages if not arguments.no_pages else ():
        # Warm (`--warm`, timed apart): templates compiled, caches filled, and on PostgreSQL
        # each statement prepared and planned for good (`WARM`).
        first = time_page(client, url, arguments.warm)[0] if arguments.warm else 0.0
        median, cpu, queries, log = time_page(client, url, arguments.repeat)
        rows.append(
            (
                name,
                f"{median:.0f} ms",
                f"{queries} queries; CPU of this process {cpu:.0f} ms"
                + (
                    f"; the first {arguments.warm} requests {first:.0f} ms"
                    if arguments.warm
                    else ""
                ),
            )
        )
        print(f"  {name}: {median:.1f} ms (CPU {cpu:.1f}), {queries} queries", file=sys.stderr)
        if connection.vendor == "postgresql" and name in EXPLAINED:
            plans += explain(name, log, clients)
    if not arguments.no_jobs:
        rows += jobs(arguments.jobs)
    print(f"### {clients:,} clients, {connection.vendor}")
    print()
    print(f"Machine: {machine()}. {timezone.now():%Y-%m-%d}.")
    print()
    print("| page / job | median | queries / note |")
    print("| --- | --- | --- |")
    for name, shown, note in rows:
        print(f"| {name} | {shown} | {note} |")
    if plans:
        print()
        print("#### EXPLAIN ANALYZE (PostgreSQL)")
        print()
        print("\n".join(plans))
    return 0


def jobs(repeat: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    end = last_month()
    start = months_back(end, 11)
    period_end = timezone.localdate().strftime("%Y-%m")

    def report(source: str, level: str = "network") -> dict:
        return services.report_for(start=start, end=end, pilots=[], source=source, level=level)

    def note(name: str, seconds: float, detail: str = "") -> None:
        rows.append((name, f"{seconds:.2f} s", detail))
        print(f"  {name}: {seconds:.2f} s {detail}", file=sys.stderr)

    def live_report() -> bytes:
        return services.report_bytes(report("live"), "json")

    with scopes_disabled():
        # Each case's row kept as of now (`mel.dataset.case_rows`) is retired first, and each
        # organisation's document of them deleted, so the first run of each job derives every
        # row (and keeps it), as after a deploy or on the first day; the median of the runs
        # then reads what the first kept.
        retired = CaseRow.objects.update(cells="")
        OrganisationRows.objects.all().delete()
        seconds, live = time_job(live_report, 1)
        note("MEL report (JSON), from live cases, no row kept", seconds,
             f"{len(live):,} bytes, {retired:,} kept rows retired first")  # fmt: skip
        seconds, live = time_job(live_report, repeat)
        note("MEL report (JSON), from live cases", seconds, f"{len(live):,} bytes")
        organisations = list(Organisation.objects.order_by("code"))
        with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:

            def export() -> int:
                peak = 0
                for organisation in organisations:
                    made = services.export(organisation, Path(folder) / organisation.code,
                                           period_end)  # fmt: skip
                    peak += made["rows"]
                return peak

            CaseRow.objects.update(cells="")
            OrganisationRows.objects.all().delete()
            seconds, exported = time_job(export, 1)
            note("network dataset export, 7 pilots, no row kept", seconds, f"{exported:,} rows")
            seconds, exported = time_job(export, repeat)
            note("network dataset export, 7 pilots", seconds, f"{exported:,} rows")
            coordinator = User.objects.get(username=NETWORK)

            def import_all() -> None:
                for organisation in organisations:
                    services.import_submission(Path(folder) / organisation.code, by=coordinator)

            seconds, _none = time_job(import_all, repeat)
            note("network dataset import, 7 pilots", seconds, f"{exported:,} rows")
            seconds, imported = time_job(
                lambda: services.report_bytes(report("imported"), "json"), repeat
            )
            note("MEL report (JSON), from imported rows", seconds, f"{len(imported):,} bytes")
            files = [str(Path(folder) / o.code / "cases.csv") for o in organisations]
            try:
                import duckdb  # noqa: F401
            except ImportError:
                note("DuckDB, same core indicators", 0, "not installed (pip install -e '.[bench]')")
            else:
                seconds, computed = time_job(lambda: duckdb_indicators(files, end), repeat)
                exact = engage_totals(report("imported", "exact"))
                same = all(
                    exact.get(name) == computed[name.replace("-", "").lower()]
                    for name in ("BEN-01", "BEN-03", "BEN-05", "BEN-06", "ENG-01", "ENG-02",
                                 "ENG-03", "RES-01", "CAP-04")
                )  # fmt: skip
                note(
                    "DuckDB, same core indicators from the same cases.csv",
                    seconds,
                    "10 indicators, total and 8 breakdowns, loading the CSVs; "
                    + (
                        "totals equal Engage's exact report"
                        if same
                        else f"totals DIFFER: {exact} vs {computed}"
                    ),
                )
            result = report("imported")
            seconds, pdf = time_job(lambda: services.report_bytes(result, "pdf"), repeat)
            note("network report as PDF (rendering)", seconds, f"{len(pdf):,} bytes")
    return rows


def last_month() -> str:
    first = timezone.localdate().replace(day=1)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


def months_back(month: str, count: int) -> str:
    year, number = map(int, month.split("-"))
    index = year * 12 + number - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


if __name__ == "__main__":
    sys.exit(main())
