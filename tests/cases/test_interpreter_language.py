"""The case's interpreter language is free text about the person: encrypted at rest as their
own languages are, its stored values encrypted by the migration without their clear text going
into the history, and blanked by erasure (docs/security.md, item 55)."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from engage.cases.factories import CaseFactory
from engage.cases.models import Case
from engage.history.models import Change
from engage.privacy.services import erase_person

BEFORE = [("cases", "0014_first_meeting_version")]
SAID = "Zzsentinel Tigrinya, via her cousin Abel"


def _stored(case) -> str:
    with connection.cursor() as cursor:
        pk = case.pk.hex if connection.vendor == "sqlite" else case.pk
        cursor.execute("SELECT interpreter_language FROM cases_case WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _in_history(text: str) -> int:
    return sum(text in json.dumps([c.before, c.after]) for c in Change.objects.all())


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_what_was_stored_and_records_no_clear_text(organisation, alice):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            pk = case.pk.hex if connection.vendor == "sqlite" else case.pk
            cursor.execute(
                "UPDATE cases_case SET interpreter_language = %s WHERE id = %s", [SAID, pk]
            )
        # The history recorded that write as it was, in clear; erasure blanks it (below).
        written_before = _in_history("Tigrinya")
        assert written_before
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    assert Case.objects.get(pk=case.pk).interpreter_language == SAID
    assert SAID not in _stored(case) and _stored(case)
    assert _in_history("Tigrinya") == written_before  # the migration's writes add none
    # The case's history triggers are made again: a change is still recorded (encrypted).
    Case.objects.filter(pk=case.pk).update(interpreter_language="Arabic")
    assert Change.objects.filter(model="cases.case", object_id=case.pk, operation="update").exists()
    erase_person(case.person, by=None, reason="request")
    assert _in_history("Tigrinya") == 0


@pytest.mark.django_db
def test_erasure_blanks_it(organisation, alice):
    case = CaseFactory(organisation=organisation, case_manager=alice, interpreter_language=SAID)
    assert SAID not in _stored(case)
    erase_person(case.person, by=None, reason="request")
    assert Case.objects.get(pk=case.pk).interpreter_language == ""


@pytest.mark.django_db
def test_a_value_written_in_clear_by_the_version_before_is_read_and_encrypted_at_its_save(
    organisation, alice
):
    """During a rolling upgrade a machine not yet upgraded writes the language in clear."""
    case = CaseFactory(organisation=organisation, case_manager=alice)
    with connection.cursor() as cursor:
        pk = case.pk.hex if connection.vendor == "sqlite" else case.pk
        cursor.execute("UPDATE cases_case SET interpreter_language = %s WHERE id = %s", [SAID, pk])
    read = Case.objects.get(pk=case.pk)
    assert read.interpreter_language == SAID
    read.save(update_fields=["interpreter_language"])
    assert SAID not in _stored(case)
    assert Case.objects.get(pk=case.pk).interpreter_language == SAID
