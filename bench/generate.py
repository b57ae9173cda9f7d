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
  fields answered; written with `bulk_create`, so every encrypted field goes through its
  `get_db_prep_value` (Fernet) and the blind index through `cases.search.tokens_for`;
- appointments in the coming days for every case manager's open cases (`APPOINTMENTS`).

The contacts of the demo's story run from the first meeting to today; to keep about
`CONTACTS_PER_CLIENT` contacts a client (2 million at 100k, as in issue 17), the generator's
story spaces them further apart (`SparseStory`).
"""

import argparse
import datetime
import io
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

# Run as a script (`python -m bench.generate`) or imported by the bench and its test.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage.settings")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
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
    clients: int, *, today: datetime.date | None = None, say: Callable[[str], Any] = print
) -> dict[str, int]:
    """Write `clients` fictional clients over the seven pilots into the (migrated, empty)
    database. Return the counts of what was written."""
    today = today or timezone.localdate()
    started = time.perf_counter()
    with scopes_disabled():
        call_command("seed_demo", "--no-cases", "--force", stdout=io.StringIO())
        say(f"pilots, staff and network records: {time.perf_counter() - started:.1f}s")
        password = make_password(PASSWORD)
        per_pilot = [clients // len(PILOTS)] * len(PILOTS)
        for n in range(clients - sum(per_pilot)):
            per_pilot[n] += 1
        for pilot, count in zip(PILOTS, per_pilot, strict=True):
            if not count:
                continue
            organisation = Organisation.objects.get(code=pilot.code)
            managers = max(1, round(count / CLIENTS_PER_MANAGER))
            with transaction.atomic():
                teams = _staff(organisation, pilot.code, managers, password)
            left = count
            for t, (supervisor, case_managers) in enumerate(teams):
                share = round(count * len(case_managers) / managers) if t < len(teams) - 1 else left
                left -= share
                if share <= 0:
                    continue
                with transaction.atomic():
                    story = SparseStory(organisation, case_managers, supervisor, share, today)
                    story.rng = random.Random(f"{pilot.code}/bench/{t}")  # noqa: S311
                    story.goal_rng = random.Random(f"{pilot.code}/bench/{t}/goals")  # noqa: S311
                    story.write()
            with transaction.atomic():
                _appointments(organisation, today)
            say(
                f"{pilot.code}: {count} clients, {managers} case managers, {len(teams)} teams: "
                f"{time.perf_counter() - started:.1f}s"
            )
    # PostgreSQL's autovacuum would gather the planner's statistics within minutes of such a
    # load; SQLite gathers none unless asked (issue 17), so it is left as the app leaves it.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts()


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
    arguments = parser.parse_args(argv)
    call_command("migrate", "--no-input", verbosity=0)
    with scopes_disabled():
        if held := Case.objects.count():
            # Generated before: `make bench` times it again (drop the database to start over).
            print(f"The database has {held:,} cases already: kept as they are.", file=sys.stderr)
            return 0
    started = time.perf_counter()
    found = generate(arguments.clients)
    print(f"generated in {time.perf_counter() - started:.1f}s:")
    for name, count in found.items():
        print(f"  {name}: {count:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
