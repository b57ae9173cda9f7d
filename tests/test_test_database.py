"""The SQLite test database: made from the migrated copy, and put back from it after each
transactional test instead of flushed (tests/sqlite_template.py, docs/testing.md)."""

import contextlib
import sqlite3

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models.signals import post_migrate
from django.test import TransactionTestCase

from engage.accounts.models import Organisation, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases.factories import CaseFactory
from engage.cases.models import Case, Person
from engage.history.models import Change
from tests import sqlite_template
from tests.spies import calls_of

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL's test database is flushed by Django"
)


class _Transactional(TransactionTestCase):
    databases = {"default"}

    def runTest(self):
        pass


def _counts_in(copy) -> tuple[int, int]:
    with contextlib.closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as source:
        types = source.execute("SELECT count(*) FROM django_content_type").fetchone()[0]
        permissions = source.execute("SELECT count(*) FROM auth_permission").fetchone()[0]
    return types, permissions


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_ends_with_the_database_as_migrated_without_a_flush(
    organisation, alice
):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    person = case.person
    person.given_name = "Changed"
    person.save()  # a row of the change history, written by its trigger
    record(None, AuditEvent.Action.LOGIN_FAILED, person, detail="test")  # append-only
    assert Change.objects.exists() and AuditEvent.objects.exists()
    flushed = []

    def receiver(**kwargs):
        flushed.append(kwargs)

    post_migrate.connect(receiver)
    try:
        _Transactional()._fixture_teardown()
    finally:
        post_migrate.disconnect(receiver)

    assert flushed == []  # no flush: its post_migrate would have written the permissions again
    assert not Organisation.objects.exists()
    assert not Change.objects.exists()
    assert not AuditEvent.objects.exists()
    types, permissions = _counts_in(sqlite_template._made_from["default"])
    assert types > 0 and permissions > 0
    assert ContentType.objects.count() == types
    assert Permission.objects.count() == permissions


@pytest.mark.django_db(transaction=True)
def test_it_leaves_a_database_inside_a_transaction_to_djangos_flush():
    with transaction.atomic():
        assert sqlite_template.copy_back("default") is False
    assert sqlite_template.copy_back("other-alias") is False


def _demo_counts() -> tuple[int, ...]:
    return (
        Organisation.objects.count(),
        Case.objects.count(),
        Person.objects.count(),
        User.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
def test_the_demo_seeded_once_is_copied_back_with_the_rows_seeding_wrote(settings, monkeypatch):
    settings.DEBUG = True  # seed_demo refuses to run on a production instance
    seeded = calls_of(monkeypatch, sqlite_template, "call_command")
    sqlite_template.seed_demo(cases_per_pilot=2)  # seeded, or copied from an earlier run
    first = _demo_counts()
    assert first[1] >= 14  # two cases for each of the seven pilots
    assert sqlite_template.copy_back("default")
    seeded.clear()

    sqlite_template.seed_demo(cases_per_pilot=2)

    assert seeded == []  # copied back, not seeded again
    assert _demo_counts() == first
    assert Case.objects.filter(organisation__code="BG-CLA").count() >= 2


@pytest.mark.django_db(transaction=True)
def test_it_seeds_a_database_already_written_to_as_usual(organisation, settings, monkeypatch):
    settings.DEBUG = True
    seeded = []
    monkeypatch.setattr(sqlite_template, "call_command", lambda name, **kw: seeded.append(name))

    sqlite_template.seed_demo(cases_per_pilot=2)

    assert seeded == ["seed_demo"]  # the organisation of the test stays: nothing copied over it
    assert Organisation.objects.filter(pk=organisation.pk).exists()
