"""The benchmark's generator (bench/generate.py, `make bench`): what it writes at a small N,
so it does not rot between the runs a developer makes by hand."""

import os
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import connection

from engage.accounts.models import Role, User
from engage.cases.models import Appointment, Case, Contact, Person, SearchToken
from engage.cases.search import matching_people
from engage.lib import crypto
from engage.lib.scoping import scopes_disabled
from tests.test_bench_copy import _run

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


FINGERPRINT = (
    "import django; django.setup()\n"
    "from engage.cases.models import Case, Contact\n"
    "from engage.lib.scoping import scopes_disabled\n"
    "with scopes_disabled():\n"
    "    print(sorted((c.case_manager.username, str(c.referral_date), c.stage,\n"
    "                  c.person.given_name, c.person.family_name)\n"
    "                 for c in Case.objects.select_related('case_manager', 'person')))\n"
    "    print(sorted((c.case.case_manager.username, str(c.date), c.note)\n"
    "                 for c in Contact.objects.select_related('case__case_manager')))\n"
)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two generations in databases of their own: the PostgreSQL run (the SQLite "
    "processes: tests/test_bench_copy.py generates with one a core, and docs/performance.md)",
)
def test_its_processes_write_what_one_process_writes(tmp_path):
    """Each team's story has random generators of its own: two processes write the same
    clients, names and notes as one does, none lost and none twice."""
    server = urlsplit(os.environ["DATABASE_URL"])._replace(path="").geturl()
    base = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    base |= {"DJANGO_SETTINGS_MODULE": "engage.settings", "ENGAGE_DATA_DIR": str(tmp_path)}
    names = [f"engage_generate_{uuid.uuid4().hex[:12]}" for _jobs in (1, 2)]
    admin = psycopg.connect(f"{server}/postgres", autocommit=True)
    try:
        written = []
        for name, jobs in zip(names, ("1", "2"), strict=True):
            admin.execute(f'CREATE DATABASE "{name}"')
            target = {**base, "DATABASE_URL": f"{server}/{name}"}
            _run(target, "-m", "bench.generate", "--clients", "70", "--jobs", jobs)
            written.append(_run(target, "-c", FINGERPRINT))
        assert written[0] == written[1]
        assert written[0].count("bench-") > 70  # every case and contact, each by its manager
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
