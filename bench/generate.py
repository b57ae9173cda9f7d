"""Build a network of N fictional clients for the benchmark (issue 17), in bulk.

    ENGAGE_DATA_DIR=/tmp/bench-data .venv/bin/python -m bench.generate --clients 1000
    DATABASE_URL=postgres://.../engage_bench .venv/bin/python -m bench.generate --clients 100000

What it writes, into an empty database of its own (it migrates it first):

- the seven demo pilots with their staff, fields, services, templates and network records
  (`engage seed_demo --no-cases`: stakeholders, interactions, activities, costs);
- per pilot, N/7 clients with case managers of about 25 clients each, in teams of
  `TEAM_SIZE` led by a supervisor of their own (`bench-<pilot>-cm<n>`, `bench-<pilot>-sup<n>`,
  password `engage-demo` like the demo's);
- per team, the demo's own story of cases (`engage.demo.cases.PilotStory`): people with their
  search tokens, referrals, first meetings, screenings, inclusion decisions, assessments, plans
  with goals and actions, reviews, contacts, engagement records, closures, the pilot's own
  fields answered; each value prepared by its own field as `bulk_create` would
  (`engage.lib.bulk`: every encrypted field through its `get_db_prep_value`, Fernet), the
  blind index through `cases.search.insert_tokens`, one `executemany` a table;
- appointments in the coming days for every case manager's open cases (`APPOINTMENTS`).

The teams' stories are built and written in `--jobs` processes at once (one a core by
default): a process builds and prepares a team's rows, then writes them in a transaction of
its own (on SQLite one at a time, the others building meanwhile). Each team's story has its
own random seed, so what is written does not depend on how many processes wrote it or in
which order.

The contacts of the demo's story run from the first meeting to today; to keep about
`CONTACTS_PER_CLIENT` contacts a client (2 million at 100k, as in issue 17), the generator's
story spaces them further apart (`SparseStory`).
"""

import argparse
import datetime
import functools
import io
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# Run as a script (`python -m bench.generate`) or imported by the bench and its test.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage.settings")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from engage.accounts.models import Organisation, Role, Team, User  # noqa: E402
from engage.cases.models import Appointment, Case  # noqa: E402
from engage.cases.models.case import OPEN_STAGES  # noqa: E402
from engage.demo.appointments import PLAN  # noqa: E402
from engage.demo.cases import PilotStory, Plot  # noqa: E402
from engage.demo.pilots import PILOTS  # noqa: E402
from engage.lib.scoping import scopes_disabled  # noqa: E402

CLIENTS_PER_MANAGER = 25
TEAM_SIZE = 8  # case managers per supervisor
CONTACTS_PER_CLIENT = 20  # about, on average over every stage
PASSWORD = "engage-demo"  # noqa: S105 (the demo's known password, for a throw-away database)


def username(pilot_code: str, role: str, n: int) -> str:
    return f"bench-{pilot_code.lower()}-{role}{n}"


class SparseStory(PilotStory):
    """The demo's story, with contacts further apart (the demo's come every week or two from
    the first meeting to today, about 60 a client over the demo's years)."""

    spacing = 3

    def contacts(self, case, plot: Plot, start, end, level) -> None:
        before = len(self.rows.contacts)
        super().contacts(case, plot, start, end, level)
        written = self.rows.contacts[before:]
        if len(written) <= 4:
            return
        # Keep the first and the last two (the caseload's "last seen" and the engagement
        # seen lately stay as the story made them), every `spacing`-th in between.
        kept = [
            contact
            for n, contact in enumerate(written)
            if n == 0 or n >= len(written) - 2 or n % self.spacing == 0
        ]
        dates = {contact.date for contact in kept}
        self.rows.contacts[before:] = kept
        # An engagement record belongs to the contact that saw it.
        self.rows.engagement = [
            record
            for record in self.rows.engagement
            if record.case is not case
            or record.source != record.Source.CONTACT
            or record.date in dates
        ]
        seen = [record for record in self.rows.engagement if record.case is case]
        if seen:
            case.engagement_level = seen[-1].level


def _staff(organisation: Organisation, code: str, managers: int, password: str) -> list[Any]:
    """Create the pilot's bench supervisors, teams and case managers. Return the teams as
    (supervisor, [case managers])."""
    supervisors = [
        User(
            organisation=organisation,
            username=username(code, "sup", t + 1),
            password=password,
            role=Role.SUPERVISOR,
            first_name=f"Supervisor {t + 1}",
            last_name="Bench",
            must_change_password=False,
        )
        for t in range((managers + TEAM_SIZE - 1) // TEAM_SIZE)
    ]
    User.objects.bulk_create(supervisors, batch_size=500)
    teams = [
        Team(organisation=organisation, name=f"Bench team {t + 1}", leader=supervisor)
        for t, supervisor in enumerate(supervisors)
    ]
    Team.objects.bulk_create(teams, batch_size=500)
    for supervisor, team in zip(supervisors, teams, strict=True):
        supervisor.team = team
    User.objects.bulk_update(supervisors, ["team"], batch_size=500)
    case_managers = [
        User(
            organisation=organisation,
            username=username(code, "cm", n + 1),
            password=password,
            role=Role.CASE_MANAGER,
            first_name=f"Manager {n + 1}",
            last_name="Bench",
            team=teams[n // TEAM_SIZE],
            must_change_password=False,
        )
        for n in range(managers)
    ]
    User.objects.bulk_create(case_managers, batch_size=500)
    return [
        (supervisor, case_managers[t * TEAM_SIZE : (t + 1) * TEAM_SIZE])
        for t, supervisor in enumerate(supervisors)
    ]


def _appointments(organisation: Organisation, today: datetime.date) -> int:
    """Plan the demo's week of appointments (`engage.demo.appointments.PLAN`) for each case
    manager's open cases, in bulk."""
    rows = []
    city = organisation.cities.first()
    place_city = city.name if city else ""
    cases = (
        Case.objects.filter(organisation=organisation, stage__in=OPEN_STAGES)
        .order_by("case_manager_id", "stage", "reference")
        .values_list("pk", "case_manager_id")
    )
    per_manager: dict[Any, int] = {}
    for case_id, manager_id in cases.iterator(chunk_size=2000):
        n = per_manager.get(manager_id, 0)
        if n >= len(PLAN):
            continue
        per_manager[manager_id] = n + 1
        days, at, kind, place = PLAN[n]
        rows.append(
            Appointment(
                case_id=case_id,
                date=today + datetime.timedelta(days=days),
                time=at,
                kind=kind,
                place=place.format(city=place_city),
                created_by_id=manager_id,
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def generate(
    clients: int,
    *,
    today: datetime.date | None = None,
    say: Callable[[str], Any] = print,
    jobs: int = 1,
) -> dict[str, int]:
    """Write `clients` fictional clients over the seven pilots into the (migrated, empty)
    database, the teams' stories in `jobs` processes at once. Return the counts of what was
    written."""
    today = today or timezone.localdate()
    started = time.perf_counter()
    teams = plan_teams(clients)
    say(f"pilots, staff and network records: {time.perf_counter() - started:.1f}s")
    tenth = max(1, len(teams) // 10)
    for n, (team, pilot_done) in enumerate(write_teams(teams, today, jobs=jobs), start=1):
        if pilot_done:
            say(
                f"{team.pilot}: {sum(t.share for t in pilot_done)} clients, "
                f"{sum(len(t.managers) for t in pilot_done)} case managers, "
                f"{len(pilot_done)} teams: {time.perf_counter() - started:.1f}s"
            )
        elif n % tenth == 0:
            say(f"{n} of {len(teams)} teams: {time.perf_counter() - started:.1f}s")
    # PostgreSQL's autovacuum would gather the planner's statistics within minutes of such a
    # load; SQLite gathers none unless asked (issue 17), so it is left as the app leaves it.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts()


@dataclass(frozen=True)
class TeamShare:
    """One team's share of a pilot's clients: what a process needs to write its story."""

    pilot: str
    index: int
    supervisor: Any  # pk
    managers: tuple[Any, ...]  # pks, in the order they were made
    share: int


def plan_teams(clients: int) -> list[TeamShare]:
    """Write the pilots (the demo's, without cases) and their bench staff; return the teams
    with each one's share of the `clients`."""
    # With DEBUG on (the default outside production) Django logs every statement with its
    # parameters quoted into SQL: time spent on bulk inserts' text, and memory.
    with scopes_disabled(), override_settings(DEBUG=False):
        call_command("seed_demo", "--no-cases", "--force", stdout=io.StringIO())
        password = make_password(PASSWORD)
        per_pilot = [clients // len(PILOTS)] * len(PILOTS)
        for n in range(clients - sum(per_pilot)):
            per_pilot[n] += 1
        teams: list[TeamShare] = []
        for pilot, count in zip(PILOTS, per_pilot, strict=True):
            if not count:
                continue
            organisation = Organisation.objects.get(code=pilot.code)
            managers = max(1, round(count / CLIENTS_PER_MANAGER))
            with transaction.atomic():
                staff = _staff(organisation, pilot.code, managers, password)
            left = count
            for t, (supervisor, case_managers) in enumerate(staff):
                share = round(count * len(case_managers) / managers) if t < len(staff) - 1 else left
                left -= share
                if share > 0:
                    pks = tuple(manager.pk for manager in case_managers)
                    teams.append(TeamShare(pilot.code, t, supervisor.pk, pks, share))
    return teams


def write_teams(
    teams: list[TeamShare], today: datetime.date, *, jobs: int = 1
) -> Iterator[tuple[TeamShare, list[TeamShare]]]:
    """Write each team's story, in `jobs` processes, and each pilot's appointments once its
    last team is written; yield each team as it is written, with its pilot's teams if that
    was the pilot's last (else an empty list).

    Building a story's rows and preparing them (encrypting their fields) is Python, so it runs
    in parallel; each process writes a team's rows in a transaction of its own (SQLite lets one
    write at a time: the others build theirs meanwhile, then wait for the lock, `timeout` in
    the settings).
    """
    waiting = Counter(team.pilot for team in teams)
    for team in _written(teams, today, jobs):
        waiting[team.pilot] -= 1
        if waiting[team.pilot]:
            yield team, []
            continue
        with scopes_disabled(), override_settings(DEBUG=False), transaction.atomic():
            _appointments(Organisation.objects.get(code=team.pilot), today)
        yield team, [t for t in teams if t.pilot == team.pilot]


def team_story(team: TeamShare, today: datetime.date) -> SparseStory:
    """The team's story, built in memory (nothing written): the same rows whichever process
    builds it, each team having random generators of its own."""
    organisation = Organisation.objects.get(code=team.pilot)
    supervisor = User.objects.get(pk=team.supervisor)
    found = {user.pk: user for user in User.objects.filter(pk__in=team.managers)}
    made = SparseStory(
        organisation, [found[pk] for pk in team.managers], supervisor, team.share, today
    )
    made.rng = random.Random(f"{team.pilot}/bench/{team.index}")  # noqa: S311
    made.goal_rng = random.Random(f"{team.pilot}/bench/{team.index}/goals")  # noqa: S311
    made.build()
    return made


def _written(teams: list[TeamShare], today: datetime.date, jobs: int) -> Iterator[TeamShare]:
    write_team = functools.partial(_write_team, today=today)
    if jobs <= 1 or len(teams) <= 1:
        yield from map(write_team, teams)
        return
    # The processes are forked with the parent's settings and keys; each opens connections of
    # its own (a socket or SQLite handle must not be shared between processes).
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap_unordered(write_team, teams)


def _write_team(team: TeamShare, today: datetime.date) -> TeamShare:
    with scopes_disabled(), override_settings(DEBUG=False):
        built = team_story(team, today)
        with transaction.atomic():
            built.save()
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # Fold SQLite's write-ahead log into the database and empty it. Its own checkpoints
        # are passive: with processes reading and writing without a pause, the log never
        # started again (10 GB of it at a fifth of 100,000 clients). (Not inside a
        # transaction of the caller's, as a test's, where there is no log of this to fold.)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return team


def counts() -> dict[str, int]:
    from engage.cases.models import (
        Action,
        Assessment,
        CasePlan,
        Closure,
        Contact,
        Person,
        SearchToken,
    )
    from engage.network.models import Activity, Interaction, Stakeholder

    models: dict[str, Any] = {
        "cases": Case,
        "people": Person,
        "search tokens": SearchToken,
        "contacts": Contact,
        "assessments": Assessment,
        "plans": CasePlan,
        "actions": Action,
        "closures": Closure,
        "appointments": Appointment,
        "case managers": User,
        "stakeholders": Stakeholder,
        "interactions": Interaction,
        "network activities": Activity,
    }
    with scopes_disabled():
        found = {name: model.objects.count() for name, model in models.items()}
        found["case managers"] = User.objects.filter(role=Role.CASE_MANAGER).count()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes writing the teams' stories at once (default: one a core)",
    )
    arguments = parser.parse_args(argv)
    call_command("migrate", "--no-input", verbosity=0)
    with scopes_disabled():
        if held := Case.objects.count():
            # Generated before: `make bench` times it again (drop the database to start over).
            print(f"The database has {held:,} cases already: kept as they are.", file=sys.stderr)
            return 0
    started = time.perf_counter()
    found = generate(arguments.clients, jobs=arguments.jobs)
    print(f"generated in {time.perf_counter() - started:.1f}s:")
    for name, count in found.items():
        print(f"  {name}: {count:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
