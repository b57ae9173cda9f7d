"""engage.lib.bulk: an INSERT of rows prepared by their own fields, run later."""

import datetime

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.expressions import DatabaseDefault

from engage.accounts.models import City
from engage.cases.factories import CaseFactory
from engage.cases.models import Contact, Person, SearchToken
from engage.cases.search import PAD_TO, insert_tokens, person_digests
from engage.lib import crypto
from engage.lib.bulk import prepare_insert, prepare_values, updating
from engage.lib.scoping import scopes_disabled

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


def test_it_leaves_auto_ids_to_the_database_and_refuses_a_mix(organisation):
    cities = [City(organisation=organisation, name=f"Town {n}") for n in (1, 2)]
    prepare_insert(City, cities).run()
    with scopes_disabled():
        stored = City.objects.filter(organisation=organisation, name__startswith="Town ")
        assert sorted(stored.values_list("name", flat=True)) == ["Town 1", "Town 2"]
        assert all(city.pk for city in stored)

    mixed = [City(pk=max(city.pk for city in stored) + 1), City()]
    with pytest.raises(ValueError, match="either every row has its id or none"):
        prepare_insert(City, mixed)


def test_it_runs_nothing_for_no_rows(django_assert_num_queries):
    insert = prepare_insert(Contact, [])
    with django_assert_num_queries(0):
        insert.run()


# prepare_values: rows given as values, without a model instance each (the search tokens).


def test_it_stores_values_as_their_fields_prepare_them_without_instances(organisation, alice):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    person = case.person
    with scopes_disabled():
        before = set(SearchToken.objects.filter(person=person).values_list("digest", flat=True))
    insert = prepare_values(
        SearchToken,
        ("digest", "person", "organisation"),  # in any order, each value by its own field
        [("d" * 64, person.pk, str(organisation.pk)), ("e" * 64, person.pk, organisation.pk)],
    )
    assert insert.rows == []  # nothing to mark as saved
    with scopes_disabled():
        assert not SearchToken.objects.filter(digest="d" * 64).exists()  # not written yet

    insert.run()

    with scopes_disabled():
        stored = SearchToken.objects.filter(person=person).exclude(digest__in=before)
        assert sorted(stored.values_list("digest", "organisation_id")) == [
            ("d" * 64, organisation.pk),  # an id given as its text, stored as the id
            ("e" * 64, organisation.pk),
        ]
        assert all(token.pk for token in stored)  # the ids the database gave


def test_it_refuses_values_that_leave_a_field_out_or_do_not_fit(organisation, alice):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    with pytest.raises(ValueError, match="name every field but the id the database gives"):
        prepare_values(SearchToken, ("person", "digest"), [(case.person.pk, "d" * 64)])
    with pytest.raises(ValueError, match="3 values a row, not 2"):
        prepare_values(SearchToken, ("person", "organisation", "digest"), [(case.person.pk, "d")])
    with pytest.raises(ValueError, match="plain values only"):
        prepare_values(
            SearchToken,
            ("person", "organisation", "digest"),
            [(case.person.pk, organisation.pk, Value("d"))],
        )
    with pytest.raises(ValueError, match="not all concrete fields"):
        prepare_values(Person, ("given_name", "search_tokens"), [])  # a relation, not a column


def test_it_indexes_a_caseload_as_a_person_registered_by_hand(organisation, alice):
    """The tokens an import writes (`insert_tokens`) are those `index_people` writes."""
    case = CaseFactory(organisation=organisation, case_manager=alice)
    person = case.person
    with scopes_disabled():
        by_hand = sorted(SearchToken.objects.filter(person=person).values_list("digest", flat=True))
        SearchToken.objects.filter(person=person).delete()
        insert_tokens([person]).run()
        inserted = SearchToken.objects.filter(person=person).values_list("digest", flat=True)
    # The padding is random; the person's own tokens are the same.
    own = person_digests(person)
    assert len(by_hand) == len(inserted) and len(by_hand) % PAD_TO == 0
    assert {d for d in inserted if d in own} == {d for d in by_hand if d in own}
    assert len([d for d in inserted if d in own]) >= 6


def test_it_updates_the_named_fields_of_a_row_whose_key_is_taken(organisation, alice):
    """`updating` an insert: a new key inserts the whole row; a key taken updates only the fields
    named, each value prepared (encrypted) by its field, as `bulk_create(update_conflicts)`."""
    from engage.mel.dataset.case_rows import CaseRow

    case, other = CaseFactory.create_batch(2, organisation=organisation, case_manager=alice)
    with scopes_disabled():
        CaseRow.objects.create(
            case_id=case.pk, organisation=organisation, writes=3, basis=3, cells="old"
        )
        rows = [
            CaseRow(case_id=pk, organisation=organisation, basis=7, cells=f"new {n}")
            for n, pk in enumerate((case.pk, other.pk))
        ]
        updating(prepare_insert(CaseRow, rows), CaseRow, ["cells"]).run()
        taken, new = (CaseRow.objects.get(case_id=pk) for pk in (case.pk, other.pk))
    assert (taken.writes, taken.basis, taken.cells) == (3, 3, "new 0")
    assert (new.writes, new.basis, new.cells) == (0, 7, "new 1")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cells FROM {CaseRow._meta.db_table}")  # noqa: S608
        assert all(stored.startswith("gAAAAA") for (stored,) in cursor.fetchall())
    with pytest.raises(ValueError, match="name the fields"):
        updating(prepare_insert(CaseRow, rows), CaseRow, ["no_such_field"])
