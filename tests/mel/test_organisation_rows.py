"""An organisation's kept rows in one document (`case_rows.OrganisationRows`, issue 17): read
for every row that still holds, the other cases read or derived again, encrypted, never read
for another organisation, another code or another version, and gone when one of its people is
erased or one of its cases deleted."""

import datetime
import json

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Case, Contact
from engage.lib.scoping import scopes_disabled
from engage.lib.tasks import periodic_tasks
from engage.mel.dataset import case_rows
from engage.mel.dataset import rows as rows_module
from engage.mel.dataset.case_rows import OrganisationRows
from engage.mel.dataset.rows import live_rows
from engage.mel.dataset.stored import StoredRows
from engage.privacy import services as privacy
from tests.mel.test_case_rows import THIS_MONTH, _derived, _keys, _made
from tests.tasks.conftest import run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(organisation, alice, bob):
    return [to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)[0]
            for _ in range(3)]  # fmt: skip


def _document(organisation):
    """The organisation's document, where it holds rows (blanked by a forgetting: none)."""
    with scopes_disabled():
        return (
            OrganisationRows.objects.filter(organisation=organisation).exclude(payload="").first()
        )


def _forgotten(organisation):
    with scopes_disabled():
        found = OrganisationRows.objects.filter(organisation=organisation)
        return found.values_list("forgotten", flat=True).first()


def _asked(monkeypatch):
    """The cases whose own kept rows are asked for (`case_rows.held`), call by call."""
    asked = []
    held = case_rows.held

    def recording(organisation, ids, end):
        asked.append(set(ids))
        return held(organisation, ids, end)

    monkeypatch.setattr(case_rows, "held", recording)
    return asked


def _read_while(organisation, then):
    """One report of `organisation` (this month's rows), with `then()` done right after the
    cases' counts of writes are read: another request in the middle of the report."""
    writes = case_rows.writes

    def read_then(of):
        counted = writes(of)
        then()
        return counted

    case_rows.writes = read_then
    try:
        return live_rows(organisation, THIS_MONTH)
    finally:
        case_rows.writes = writes


def _contact(case, by):
    return lambda: Contact.objects.create(case=case, date=days_ago(0), type="phone", recorded_by=by)


def test_it_reads_every_row_that_holds_from_the_document(cases, organisation, monkeypatch):
    first = live_rows(organisation, THIS_MONTH)
    assert _document(organisation) is not None
    asked = _asked(monkeypatch)
    again = live_rows(organisation, THIS_MONTH)
    assert asked == []  # not one case's own row read
    assert isinstance(again, StoredRows)
    assert again == first == _derived(organisation)
    assert _keys(again) == _made(_derived(organisation))


def test_its_queries_do_not_grow_with_the_cases(organisation, alice, bob):
    counts = []
    for more in (1, 4):
        for _ in range(more):
            to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
        live_rows(organisation, THIS_MONTH)  # the document made again with the new cases
        with CaptureQueriesContext(connection) as queries:
            rows = live_rows(organisation, THIS_MONTH)
        assert len(rows) == (1 if more == 1 else 5)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_it_reads_again_only_the_case_written_since(cases, organisation, alice, monkeypatch):
    live_rows(organisation, THIS_MONTH)
    Contact.objects.create(case=cases[1], date=days_ago(0), type="phone", recorded_by=alice)
    asked = _asked(monkeypatch)
    rows = live_rows(organisation, THIS_MONTH)
    assert asked == [{cases[1].pk}]
    assert rows == _derived(organisation)
    assert _keys(rows) == _made(_derived(organisation))
    # The document was made again with that row: the next report reads every row from it.
    asked.clear()
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)
    assert asked == []


def test_it_reads_a_row_as_of_now_from_its_horizon_on_and_a_row_as_of_an_earlier_end_for_it(
    cases, organisation, alice, monkeypatch
):
    """A row as of now holds for a period from its horizon on: last month's report of a case
    with a contact this month reads that case again, as of last month. The document is then
    as of last month, that case's row too, and holds for last month's next report; this
    month's reads again only the case whose row is as of last month."""
    Contact.objects.create(case=cases[0], date=days_ago(0), type="phone", recorded_by=alice)
    live_rows(organisation, THIS_MONTH)  # that case's row as of now in the document
    last_month = (days_ago(0).replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    asked = _asked(monkeypatch)
    assert live_rows(organisation, last_month) == _derived(organisation, last_month)
    assert asked == [{cases[0].pk}]
    asked.clear()
    assert live_rows(organisation, last_month) == _derived(organisation, last_month)
    assert asked == []
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)
    assert asked == [{cases[0].pk}]


def _unasked(monkeypatch):
    """Fail if the cases' rows are looked at one by one (their counts of writes read)."""

    def refused(organisation):
        raise AssertionError("each case's count of writes read")

    monkeypatch.setattr(case_rows, "writes", refused)


def test_it_takes_the_document_as_it_is_while_the_census_is_the_same(
    cases, organisation, monkeypatch
):
    """Asked again with nothing added or written, the document is the rows: neither the cases
    nor their counts are read. The census read before the rows were is recorded once every
    row was found to hold (the first report kept rows, which changed it)."""
    first = live_rows(organisation, THIS_MONTH)
    live_rows(organisation, THIS_MONTH)  # every row holds: the census recorded
    _unasked(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        again = live_rows(organisation, THIS_MONTH)
    assert again == first == _derived(organisation)
    assert _keys(again) == _made(_derived(organisation))
    assert len(queries) == 4  # the triggers, the census's two counts, the document


def test_a_case_added_without_any_write_counted_changes_the_census(
    cases, organisation, alice, monkeypatch
):
    """A case is added with no write a row counts (a person registered before, then a case
    opened for them): the census counts the cases, so the next report reads it."""
    live_rows(organisation, THIS_MONTH)
    live_rows(organisation, THIS_MONTH)
    with scopes_disabled():
        CaseFactory(organisation=organisation, case_manager=alice, person=cases[0].person)
    rows = live_rows(organisation, THIS_MONTH)
    assert len(rows) == 4 and rows == _derived(organisation)


def test_a_write_while_the_rows_are_read_leaves_the_census_behind(cases, organisation, alice):
    """A write between the census and the reading of the rows (another request in the middle
    of a report): the census recorded is the one read before it, so the next report sees the
    write."""
    live_rows(organisation, THIS_MONTH)
    # Another case written first, so that the census differs and the rows are looked at.
    _contact(cases[1], alice)()
    _read_while(organisation, _contact(cases[2], alice))
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)


def test_a_write_while_the_rows_are_found_to_hold_leaves_the_census_behind(
    cases, organisation, alice
):
    """The census changed by a case outside the period (referred next month) and every row
    still holds: the census recorded is the one read before the rows were found to hold, so a
    write meanwhile is seen by the next report."""
    live_rows(organisation, THIS_MONTH)
    live_rows(organisation, THIS_MONTH)
    CaseFactory(organisation=organisation, case_manager=alice, referral_date=days_ago(-40))
    _read_while(organisation, _contact(cases[2], alice))
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)


def test_a_case_moved_to_another_organisation_deletes_both_documents(
    cases, organisation, other_organisation, charlie
):
    CaseFactory(organisation=other_organisation, case_manager=charlie)
    for each in (organisation, other_organisation):
        live_rows(each, THIS_MONTH)
        live_rows(each, THIS_MONTH)
    with scopes_disabled():
        Case.objects.filter(pk=cases[0].pk).update(organisation=other_organisation)
    assert _document(organisation) is None and _document(other_organisation) is None
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)
    assert live_rows(other_organisation, THIS_MONTH) == _derived(other_organisation)
    assert len(live_rows(other_organisation, THIS_MONTH)) == 2


def test_it_makes_the_document_again_past_one_row_in_a_hundred_or_each_night(
    cases, organisation, alice, monkeypatch
):
    """One row in `REMADE_AFTER` read elsewhere and the document is made again; below that it
    stays as it was, until the nightly task makes it again without the rows that no longer
    hold."""
    live_rows(organisation, THIS_MONTH)
    made = _document(organisation).payload
    monkeypatch.setattr(rows_module, "REMADE_AFTER", 1)  # one row of three: not past it
    Contact.objects.create(case=cases[1], date=days_ago(0), type="phone", recorded_by=alice)
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)
    assert _document(organisation).payload == made
    periodic_tasks()["case-rows"].enqueue()
    run_queued_tasks()
    assert _document(organisation).payload != made
    asked = _asked(monkeypatch)
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)
    assert asked == []
    monkeypatch.setattr(rows_module, "REMADE_AFTER", 100)
    Contact.objects.create(case=cases[2], date=days_ago(0), type="phone", recorded_by=alice)
    remade = _document(organisation).payload
    live_rows(organisation, THIS_MONTH)
    assert _document(organisation).payload != remade


def test_a_document_written_again_while_it_is_read_is_not_taken_for_its_cases(
    cases, organisation, alice, monkeypatch
):
    """The rows and their cases are kept apart, and the cases read only where the document is
    not taken as it is: written again in between (another report), the cases read are not
    those of the rows read, so none of its rows is taken."""
    live_rows(organisation, THIS_MONTH)
    Contact.objects.create(case=cases[0], date=days_ago(0), type="phone", recorded_by=alice)
    document_cases = case_rows.document_cases

    def written_meanwhile(organisation, made):
        monkeypatch.setattr(case_rows, "document_cases", document_cases)
        live_rows(organisation, THIS_MONTH)  # another report writes it again
        return document_cases(organisation, made)

    monkeypatch.setattr(case_rows, "document_cases", written_meanwhile)
    asked = _asked(monkeypatch)
    rows = live_rows(organisation, THIS_MONTH)
    assert rows == _derived(organisation)
    assert set().union(*asked[1:]) == {case.pk for case in cases}  # each read on its own


def test_a_document_whose_cases_do_not_match_its_rows_is_refused_not_read_short(
    cases, organisation, alice
):
    """A document tampered with (a case dropped from its cases): the report refuses it rather
    than pairing rows with the wrong cases."""
    live_rows(organisation, THIS_MONTH)
    with scopes_disabled():
        kept = OrganisationRows.objects.get(organisation=organisation)
        held = json.loads(kept.cases)
        held["ids"] = held["ids"][1:]
        OrganisationRows.objects.filter(pk=kept.pk).update(cases=json.dumps(held))
    _contact(cases[0], alice)()  # the census changed: the document's cases are read
    with pytest.raises(ValueError, match="cases do not match its rows"):
        live_rows(organisation, THIS_MONTH)


def test_it_keeps_the_document_encrypted(cases, organisation):
    """A thief with the database or a backup reads no row without the key."""
    rows = live_rows(organisation, THIS_MONTH)
    with connection.cursor() as cursor:
        table = OrganisationRows._meta.db_table
        cursor.execute(f"SELECT payload, cases FROM {table}")  # noqa: S608
        ((stored, ids),) = cursor.fetchall()
    for token in (stored, ids):
        assert token.startswith("gAAAAA")
        assert not any(row["case_ref"] in token for row in rows)
        assert cases[0].pk.hex not in token and str(cases[0].pk) not in token


def test_an_erasure_deletes_the_organisations_document(
    cases, organisation, other_organisation, charlie, ada
):
    """The erased person's row, though it no longer holds, must not wait in the document for
    its next writing: the database deletes the document (the other organisation's stays)."""
    CaseFactory(organisation=other_organisation, case_manager=charlie)
    live_rows(organisation, THIS_MONTH)
    live_rows(other_organisation, THIS_MONTH)
    with scopes_disabled():
        privacy.erase_person(cases[0].person, by=ada, reason="Right to erasure")
    assert _document(organisation) is None and _forgotten(organisation) == 1
    assert _document(other_organisation) is not None and _forgotten(other_organisation) == 0
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)


def test_an_erasure_while_the_rows_are_read_keeps_none_of_them(cases, organisation, ada):
    """An erasure between the reading of the rows and the writing of the document (another
    request, in the middle of a report that derives every row): the triggers counted it, so
    the rows read before it, the erased person's among them, are not written; the next report
    writes the rows as they now are."""

    def erase(case):
        def erasing():
            with scopes_disabled():
                privacy.erase_person(case.person, by=ada, reason="Right to erasure")

        return erasing

    _read_while(organisation, erase(cases[0]))  # no document yet: every row read, then erased
    assert _document(organisation) is None and _forgotten(organisation) == 1
    rows = live_rows(organisation, THIS_MONTH)
    assert rows == _derived(organisation) and _document(organisation) is not None
    # Once more with a document there: read, erased meanwhile, not written.
    _contact(cases[1], ada)()
    _read_while(organisation, erase(cases[2]))
    assert _document(organisation) is None and _forgotten(organisation) == 2


def test_an_edit_of_a_person_keeps_the_document(cases, organisation):
    live_rows(organisation, THIS_MONTH)
    with scopes_disabled():
        person = cases[0].person
        person.given_name = "Renamed"
        person.save()
    assert _document(organisation) is not None


def test_a_deleted_case_deletes_the_organisations_document(cases, organisation):
    live_rows(organisation, THIS_MONTH)
    with scopes_disabled():
        Case.objects.filter(pk=cases[0].pk).delete()
    assert _document(organisation) is None
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)


def test_it_reads_no_document_of_another_version_or_code(cases, organisation, monkeypatch):
    live_rows(organisation, THIS_MONTH)
    asked = _asked(monkeypatch)
    monkeypatch.setattr(case_rows, "_derivation_digest", lambda: b"another version")
    assert live_rows(organisation, THIS_MONTH) == _derived(organisation)
    assert asked and set().union(*asked) == {case.pk for case in cases}
    monkeypatch.undo()

    live_rows(organisation, THIS_MONTH)
    with scopes_disabled():
        type(organisation).objects.filter(pk=organisation.pk).update(code="BG-NEW")
    organisation.refresh_from_db()
    rows = live_rows(organisation, THIS_MONTH)
    assert {row["pilot"] for row in rows} == {"BG-NEW"}
    assert _keys(rows) == _made(_derived(organisation))


def test_it_never_reads_another_organisations_document_or_cases(
    cases, organisation, other_organisation, charlie
):
    """A document copied from another organisation (a forged row, a restore gone wrong) is
    never read: it names another pilot, and its cases are not among this one's."""
    theirs = CaseFactory(organisation=other_organisation, case_manager=charlie)
    live_rows(other_organisation, THIS_MONTH)
    with scopes_disabled():
        forged = OrganisationRows.objects.get(organisation=other_organisation)
        OrganisationRows.objects.filter(organisation=organisation).delete()
        OrganisationRows.objects.create(
            organisation=organisation, fingerprint=forged.fingerprint, payload=forged.payload
        )
    rows = live_rows(organisation, THIS_MONTH)
    assert rows == _derived(organisation)
    assert theirs.pk not in {case.pk for case in cases} and len(rows) == len(cases)


class _Editor:
    """What `install_triggers` asks of a schema editor, on the test's own connection (Django's
    own refuses to start on SQLite inside the test's transaction)."""

    connection = connection

    def execute(self, sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_earlier_triggers_come_back_when_the_migration_is_taken_back(cases, organisation):
    """Migration 0010 taken back: the triggers of 0009, none deleting from the documents'
    table, which goes with it; installed again, every trigger is there."""
    live_rows(organisation, THIS_MONTH)
    case_rows.install_triggers(apps, _Editor(), documents=False)
    try:
        assert not case_rows.watching()  # the erasure's trigger is gone
        with scopes_disabled():
            Case.objects.filter(pk=cases[0].pk).delete()
            assert not case_rows.CaseRow.objects.filter(case_id=cases[0].pk).exists()
        assert _document(organisation) is not None  # 0009's delete: the case's row only
    finally:
        case_rows.install_triggers(apps, _Editor())
    assert case_rows.watching()
    with scopes_disabled():
        Case.objects.filter(pk=cases[1].pk).delete()
    assert _document(organisation) is None
