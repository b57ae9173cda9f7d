"""The benchmark's generator (bench/generate.py, `make bench`): what it writes at a small N,
so it does not rot between the runs a developer makes by hand."""

import pytest
from django.db import connection

from engage.accounts.models import Role, User
from engage.cases.models import Appointment, Case, Contact, Person, SearchToken
from engage.cases.search import matching_people
from engage.cases.services import today
from engage.lib import crypto
from engage.lib.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


def test_it_writes_n_clients_over_seven_pilots_with_encrypted_fields_and_search_tokens():
    from bench.generate import CONTACTS_PER_CLIENT, generate, username

    found = generate(30, say=lambda text: None)

    with scopes_disabled():
        # 30 clients (about 4 a pilot), a few more enrollments: a client who came back.
        assert 30 <= found["cases"] <= 37
        assert found["cases"] == Case.objects.count()
        assert Case.objects.values("organisation").distinct().count() == 7
        per_client = found["contacts"] / found["cases"]
        assert CONTACTS_PER_CLIENT / 3 < per_client < CONTACTS_PER_CLIENT * 2
        assert found["assessments"] and found["plans"] and found["actions"]
        assert found["closures"] and found["appointments"] and found["stakeholders"]
        # A case manager of the bench per pilot, in a team its bench supervisor leads.
        manager = User.objects.get(username=username("BG-CLA", "cm", 1))
        assert manager.role == Role.CASE_MANAGER
        assert manager.team.leader.username == username("BG-CLA", "sup", 1)
        assert Case.objects.filter(case_manager=manager).exists()
        assert Appointment.objects.filter(case__case_manager=manager).exists()
        assert manager.check_password("engage-demo")

        # One whose birth date is known: the generator leaves some unknown, as case managers do.
        person = Person.objects.filter(
            cases__case_manager=manager, date_of_birth__isnull=False
        ).first()
        contact = Contact.objects.exclude(note="").filter(case__case_manager=manager).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT given_name, date_of_birth FROM cases_person WHERE id = %s",
            [person.pk.hex] if connection.vendor == "sqlite" else [person.pk],
        )
        given_name, born = cursor.fetchone()
        cursor.execute(
            "SELECT note FROM cases_contact WHERE id = %s",
            [contact.pk.hex] if connection.vendor == "sqlite" else [contact.pk],
        )
        (note,) = cursor.fetchone()
    # In the database, Fernet tokens; read back, the values.
    assert given_name != person.given_name and crypto.decrypt(given_name) == person.given_name
    assert crypto.decrypt(born) == person.date_of_birth.isoformat()
    assert note != contact.note and crypto.decrypt(note) == contact.note
    # The blind index is the app's: the client is found by name as the case list searches.
    with scopes_disabled():
        assert SearchToken.objects.filter(person=person).count() % 8 == 0
        # As the name is written, a hyphenated family name too (cases/search.py).
        name = f"{person.given_name} {person.family_name}"
        assert person.pk in matching_people(person.organisation_id, name)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="processes share the database: the PostgreSQL run (an in-memory SQLite database "
    "is one connection's; on a SQLite file, docs/performance.md)",
)
@pytest.mark.django_db(transaction=True)
def test_its_processes_write_every_teams_story_once_as_one_process_would():
    from bench import generate

    teams = generate.plan_teams(70)
    assert len({team.pilot for team in teams}) == 7  # a team a pilot at least: 7 for 2 processes
    reported = list(generate.write_teams(teams, today(), jobs=2))

    # Each team once; each pilot once, with its teams, when its last one is written.
    assert sorted((team for team, _done in reported), key=repr) == sorted(teams, key=repr)
    done = {pilot_teams[0].pilot: pilot_teams for _team, pilot_teams in reported if pilot_teams}
    assert done == {p: [t for t in teams if t.pilot == p] for p in {t.pilot for t in teams}}
    with scopes_disabled():
        written = sorted(
            Case.objects.values_list("case_manager__username", "referral_date", "stage")
        )
        # Each team's story built again in this process: the processes wrote the same cases,
        # none lost and none twice.
        built = sorted(
            (case.case_manager.username, case.referral_date, case.stage)
            for team in teams
            for case in generate.team_story(team, today()).rows.cases
        )
        assert Appointment.objects.exists()
    assert written == built
