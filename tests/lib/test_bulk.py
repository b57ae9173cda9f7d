"""engage.lib.bulk: an INSERT of rows prepared by their own fields, run later."""

import datetime

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.expressions import DatabaseDefault

from engage.cases.factories import CaseFactory
from engage.cases.models import Contact
from engage.lib import crypto
from engage.lib.bulk import prepare_insert
from engage.lib.scoping import scopes_disabled
from engage.mel.models import DatasetRow, Submission

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


def _raw(contact: Contact) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT case_id, date, note, created_at FROM cases_contact WHERE id = %s",
            [contact.pk.hex] if connection.vendor == "sqlite" else [contact.pk],
        )
        return cursor.fetchone()


def test_it_stores_what_bulk_create_would_with_each_value_prepared_by_its_field(
    organisation, alice
):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    written = Contact(
        case=case, date=DAY, type=Contact.Type.PHONE, note="Talked about school.", recorded_by=alice
    )
    blank = Contact(case=case, date=DAY, type=Contact.Type.HOME_VISIT, note="", recorded_by=alice)
    insert = prepare_insert(Contact, [written, blank])
    assert written._state.adding  # prepared, not written yet
    with scopes_disabled():
        assert not Contact.objects.filter(case=case).exists()

    insert.run()

    assert not written._state.adding and written._state.db == "default"
    with scopes_disabled():
        read = Contact.objects.get(pk=written.pk)  # the id made in Python, kept
        assert Contact.objects.get(pk=blank.pk).note == ""
    assert (read.case_id, read.date, read.note) == (case.pk, DAY, "Talked about school.")
    assert read.created_at is not None  # `auto_now_add`: the field's `pre_save`
    stored_case, _date, note, created_at = _raw(written)
    assert stored_case in (case.pk, case.pk.hex)  # as each database stores an id
    # In the database, the note as its field encrypts it: a Fernet token.
    assert note.startswith("gAAAAA") and crypto.decrypt(note) == "Talked about school."
    assert created_at is not None


def test_it_takes_a_related_objects_id_as_bulk_create_does(organisation, alice):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    # The case given before it had its id (as a story builds its rows), its id set after.
    made = case.pk
    case.pk = None
    contact = Contact(case=case, date=DAY, type=Contact.Type.PHONE, recorded_by=alice)
    case.pk = made
    assert contact.case_id is None

    prepare_insert(Contact, [contact]).run()

    with scopes_disabled():
        assert Contact.objects.get(pk=contact.pk).case_id == case.pk


def test_it_refuses_a_value_the_database_would_compute(organisation, alice):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    contact = Contact(case=case, date=DAY, type=Contact.Type.PHONE, recorded_by=alice)
    contact.sensitive = DatabaseDefault(Value(False))

    with pytest.raises(ValueError, match=r"Contact\.sensitive: plain values only"):
        prepare_insert(Contact, [contact])


def test_it_leaves_auto_ids_to_the_database_and_refuses_a_mix():
    submission = Submission.objects.create(
        pilot="BG-CLA", period_end="2026-03", generated_at="now", sha256="0" * 64, rows=2
    )
    rows = [
        DatasetRow(submission=submission, pilot="BG-CLA", case_ref=f"r{n}", values="{}")
        for n in (1, 2)
    ]
    prepare_insert(DatasetRow, rows).run()
    with scopes_disabled():
        stored = DatasetRow.objects.filter(submission=submission)
        assert sorted(stored.values_list("case_ref", flat=True)) == ["r1", "r2"]
        assert all(row.pk for row in stored)

    mixed = [DatasetRow(pk=max(row.pk for row in stored) + 1), DatasetRow()]
    with pytest.raises(ValueError, match="either every row has its id or none"):
        prepare_insert(DatasetRow, mixed)


def test_it_runs_nothing_for_no_rows(django_assert_num_queries):
    insert = prepare_insert(Contact, [])
    with django_assert_num_queries(0):
        insert.run()
