"""Each case's dataset row kept as of now (`mel.dataset.case_rows`): read only while it holds,
retired by the database's triggers on every write it depends on, never kept stale, encrypted,
and gone with an erasure or its case."""

import datetime

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from engage.accounts.factories import OrganisationFactory, UserFactory
from engage.accounts.models import City
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Assessment, Case, Contact, EngagementRecord, Household, Person
from engage.cases.models.closure import Closure
from engage.lib import crypto
from engage.lib.bulk import Insert
from engage.lib.scoping import scopes_disabled
from engage.lib.tasks import periodic_tasks
from engage.mel.dataset import case_rows
from engage.mel.dataset.case_rows import CaseRow
from engage.mel.dataset.keys import RowKeys
from engage.mel.dataset.rows import derive_rows, live_rows
from engage.mel.dataset.stored import KeyedRow
from engage.privacy import services as privacy
from tests.conftest import TEST_INDEX_KEY
from tests.tasks.conftest import run_queued_tasks

pytestmark = pytest.mark.django_db

THIS_MONTH = days_ago(0).strftime("%Y-%m")


def _derived(organisation, period_end=THIS_MONTH):
    """The rows as derived from the cases, no kept row read or kept."""
    watching = case_rows.watching
    case_rows.watching = lambda: False
    try:
        return list(derive_rows(organisation, period_end))
    finally:
        case_rows.watching = watching


def _keys(rows):
    """Each row's record and content keys as a report takes them: kept with the row (a
    `KeyedRow`), else made from its values."""
    keys = RowKeys.of_instance()
    return keys.records(rows), keys.contents(rows)


def _made(rows):
    """The keys made afresh from each row's values."""
    return _keys([dict(row) for row in rows])


def _kept(case):
    with scopes_disabled():
        return CaseRow.objects.filter(case_id=case.pk).first()


def _holds(case) -> bool:
    row = _kept(case)
    return bool(row and row.basis == row.writes and row.cells)


@pytest.fixture
def case(organisation, alice, bob):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    Contact.objects.create(case=case, date=days_ago(3), type="phone", recorded_by=alice)
    return case


def test_it_installs_every_trigger_it_needs():
    """After the migrations, every trigger is there: a later migration that makes SQLite
    rebuild a watched table drops its triggers, and this fails until it installs them again."""
    assert case_rows.watching()
    assert len(case_rows.trigger_names()) == (11 if connection.vendor == "postgresql" else 23)


def test_it_keeps_each_row_and_reads_it_back_the_same(case, organisation):
    first = list(derive_rows(organisation, THIS_MONTH))
    assert _holds(case)
    again = list(derive_rows(organisation, THIS_MONTH))
    assert first == again == _derived(organisation)
    assert again[0]["contacts"] == "1"


def test_it_reads_each_row_back_with_the_keys_a_report_would_make(case, organisation):
    """A row is kept with its record and content keys, made once: the report reads them
    instead of hashing each row again. They are the keys made from the row's values."""
    first = list(derive_rows(organisation, THIS_MONTH))
    again = list(derive_rows(organisation, THIS_MONTH))
    for rows in (first, again):
        assert all(isinstance(row, KeyedRow) for row in rows)
        assert _keys(rows) == _made(rows) == _made(_derived(organisation))


def test_a_renamed_organisation_gets_its_rows_keyed_afresh(case, organisation):
    """A row's keys are made of its pilot too: kept under the organisation's former code, the
    row is read with the new code and keyed again from its values, not with the kept keys."""
    list(derive_rows(organisation, THIS_MONTH))
    with scopes_disabled():
        type(organisation).objects.filter(pk=organisation.pk).update(code="BG-NEW")
    organisation.refresh_from_db()
    rows = list(derive_rows(organisation, THIS_MONTH))
    assert _holds(case) and [row["pilot"] for row in rows] == ["BG-NEW"]
    assert not any(isinstance(row, KeyedRow) for row in rows)
    assert _keys(rows) == _made(_derived(organisation))


WRITES = {
    "a contact logged": lambda c, u: Contact.objects.create(
        case=c, date=days_ago(1), type="face_to_face", recorded_by=u
    ),
    "a contact deleted": lambda c, u: Contact.objects.filter(case=c).delete(),
    "a contact's type changed in bulk": lambda c, u: Contact.objects.filter(case=c).update(
        type="home_visit"
    ),
    "an assessment recorded": lambda c, u: Assessment.objects.create(
        case=c,
        date=days_ago(1),
        informed_decisions=4,
        engage_procedures=4,
        wellbeing=1,
        vulnerability_protection=True,
        recorded_by=u,
    ),
    "an assessment corrected": lambda c, u: Assessment.objects.filter(case=c).update(wellbeing=5),
    "an engagement record": lambda c, u: EngagementRecord.objects.create(
        case=c, date=days_ago(1), level="disengaged", source="contact", recorded_by=u
    ),
    "a closure approved": lambda c, u: Closure.objects.create(
        case=c,
        date=days_ago(1),
        reason="absconded",
        status="approved",
        requested_by=u,
        disengagement_factors=["fear"],
    ),
    "the screening changed": lambda c, u: (
        type(c.screening).objects.filter(case=c).update(vulnerability_child=True)
    ),
    "the case's outcome": lambda c, u: Case.objects.filter(pk=c.pk).update(
        outcome="regularised", outcome_permanence="permanent", outcome_date=days_ago(1)
    ),
    "the person's sex": lambda c, u: Person.objects.filter(pk=c.person_id).update(sex="male"),
    "a child joins the household": lambda c, u: Person.objects.create(
        organisation=c.organisation,
        household=c.household,
        given_name="Kid",
        relationship="child",
    ),
    "the city renamed": lambda c, u: City.objects.filter(pk=c.city_id).update(name="Plovdiv"),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_it_retires_a_row_on_every_write_it_depends_on(write, case, organisation, alice):
    """Whatever writes it (a service, `update()` in bulk, another program), a write of what the
    row reads retires it, and the next derivation reads the case again."""
    household = Household.objects.create(organisation=organisation)
    Case.objects.filter(pk=case.pk).update(household=household)
    Person.objects.filter(pk=case.person_id).update(household=household)
    case.refresh_from_db()
    before = list(derive_rows(organisation, THIS_MONTH))
    assert _holds(case)
    with scopes_disabled():
        WRITES[write](case, alice)
    assert not _holds(case) and _kept(case).cells == ""
    after = list(derive_rows(organisation, THIS_MONTH))
    assert after == _derived(organisation)
    assert after != before
    assert _holds(case)


def test_it_never_keeps_a_row_read_before_a_write(case, organisation, alice, monkeypatch):
    """A write between the reading of the write count and the keeping of the row (another
    request, in the middle of an export) leaves the row retired: kept, it would be stale."""
    counted = case_rows.counted

    def count_then_write(ids):
        basis = counted(ids)
        Contact.objects.create(case=case, date=days_ago(1), type="phone", recorded_by=alice)
        return basis

    monkeypatch.setattr(case_rows, "counted", count_then_write)
    list(derive_rows(organisation, THIS_MONTH))
    monkeypatch.setattr(case_rows, "counted", counted)
    assert not _holds(case) and _kept(case).cells == ""
    (row,) = derive_rows(organisation, THIS_MONTH)
    assert row["contacts"] == "2"


def test_it_keeps_the_row_of_the_latest_period_before_the_cases_latest_date(
    case, organisation, alice
):
    """A row as of now is not the row of a period that ended before the case's latest date
    (last month's report while this month's contacts are logged): that period's row is
    derived and kept beside, for the latest such period asked; another is derived again."""
    Contact.objects.create(case=case, date=days_ago(0), type="phone", recorded_by=alice)
    list(derive_rows(organisation, THIS_MONTH))
    now = _kept(case)
    assert now.horizon == days_ago(0) and now.earlier_end is None
    last_month = days_ago(0).replace(day=1) - datetime.timedelta(days=1)
    before = (last_month.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    for period_end in (last_month.strftime("%Y-%m"), before):
        derived = list(derive_rows(organisation, period_end))
        assert derived == _derived(organisation, period_end)
        kept = _kept(case)
        assert kept.cells == now.cells and _holds(case)
        assert kept.earlier_end.strftime("%Y-%m") == period_end and kept.earlier_cells
        with CaptureQueriesContext(connection) as read:
            assert list(derive_rows(organisation, period_end)) == derived
        # The cases, the triggers looked for, the kept rows: no record read.
        assert len(read.captured_queries) == 3


def test_it_derives_this_months_row_of_a_case_with_a_date_to_come(case, organisation, alice):
    """A record dated after the month's end (an assessment dated ahead by mistake): this
    month's row leaves it out, and is kept as the earlier row."""
    Assessment.objects.create(
        case=case, date=days_ago(-40), informed_decisions=5, engage_procedures=5, wellbeing=5,
        recorded_by=alice,
    )  # fmt: skip
    derived = list(derive_rows(organisation, THIS_MONTH))
    assert derived == _derived(organisation) and derived[0]["idm_latest"] != "5"
    kept = _kept(case)
    assert kept.horizon == days_ago(-40) and kept.earlier_end.strftime("%Y-%m") == THIS_MONTH
    assert list(derive_rows(organisation, THIS_MONTH)) == derived


def test_the_nightly_task_keeps_every_cases_row(case, organisation, other_organisation, charlie):
    theirs = CaseFactory(organisation=other_organisation, case_manager=charlie)
    periodic_tasks()["case-rows"].enqueue()
    assert run_queued_tasks() == [{"BG-CLA": 1, "CY-CYRC": 1}]
    assert _holds(case) and _holds(theirs)


def test_it_keeps_the_row_encrypted(case, organisation):
    """A thief with the database or a backup reads no row without the key."""
    (row,) = derive_rows(organisation, THIS_MONTH)
    table = CaseRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cells FROM {table}")  # noqa: S608
        ((stored,),) = cursor.fetchall()
    assert stored.startswith("gAAAAA")
    assert row["case_ref"] not in stored and row["city"] not in stored


def test_it_blanks_the_row_of_a_person_erased(case, organisation, ada):
    list(derive_rows(organisation, THIS_MONTH))
    earlier = (days_ago(0).replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    Contact.objects.create(case=case, date=days_ago(0), type="phone", recorded_by=ada)
    list(derive_rows(organisation, earlier))
    assert _kept(case).earlier_cells
    with scopes_disabled():
        privacy.erase_person(case.person, by=ada, reason="Right to erasure")
    assert _kept(case).cells == _kept(case).earlier_cells == ""


def test_it_removes_the_row_with_its_case(case, organisation):
    list(derive_rows(organisation, THIS_MONTH))
    with scopes_disabled():
        Case.objects.filter(pk=case.pk).delete()
        assert not CaseRow.objects.filter(case_id=case.pk).exists()


def test_it_retires_every_row_when_the_code_or_the_index_key_changes(
    case, organisation, settings, monkeypatch
):
    """A deploy that changes the derivation or the key of the references: no row kept before
    is read (its references would be keyed with the old key)."""
    list(derive_rows(organisation, THIS_MONTH))
    monkeypatch.setattr(case_rows, "_derivation_digest", lambda: b"another version")
    assert case_rows.held(organisation, [case.pk], days_ago(0)) == {}
    monkeypatch.undo()
    settings.ENGAGE_INDEX_KEY = crypto.new_index_key()
    crypto.reset_keys()
    try:
        assert case_rows.held(organisation, [case.pk], days_ago(0)) == {}
        assert list(derive_rows(organisation, THIS_MONTH)) == _derived(organisation)
    finally:
        settings.ENGAGE_INDEX_KEY = TEST_INDEX_KEY
        crypto.reset_keys()


def test_it_neither_reads_nor_keeps_a_row_without_every_trigger(case, organisation, alice):
    """A trigger dropped (a migration that forgot to install it again): a write would go
    uncounted, so no kept row is read or kept until it is back."""
    list(derive_rows(organisation, THIS_MONTH))
    city = City._meta.db_table
    (name,) = [name for name in case_rows.trigger_names() if city in name]  # the city's
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            table = city
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
        else:
            cursor.execute(f"DROP TRIGGER {name}")
    assert not case_rows.watching()
    City.objects.filter(pk=case.city_id).update(name="Plovdiv")  # not counted now
    (row,) = derive_rows(organisation, THIS_MONTH)
    assert row["city"] == "Plovdiv"


def test_it_never_keeps_a_row_with_a_person_ref(case, organisation):
    (row,) = derive_rows(organisation, THIS_MONTH, linkage_key=b"k" * 32)
    assert row["person_ref"]
    assert _kept(case) is None or _kept(case).cells == ""


def test_it_reads_no_row_kept_for_another_organisations_case(
    case, organisation, other_organisation, charlie
):
    """A row forged for another organisation's case is never read: the cases come from the
    organisation's own, and the kept rows are filtered by it too."""
    theirs = CaseFactory(organisation=other_organisation, case_manager=charlie)
    list(derive_rows(organisation, THIS_MONTH))
    with scopes_disabled():
        ours = CaseRow.objects.get(case_id=case.pk)
        CaseRow.objects.create(
            case_id=theirs.pk, organisation=organisation, basis=0, writes=0,
            fingerprint=ours.fingerprint, horizon=ours.horizon, cells=ours.cells,
        )  # fmt: skip
    rows = list(derive_rows(organisation, THIS_MONTH))
    assert len(rows) == 1
    assert list(derive_rows(other_organisation, THIS_MONTH)) == _derived(other_organisation)


def test_it_keeps_a_case_moved_to_another_organisation_under_that_one(
    case, organisation, other_organisation
):
    """A case moved by hand to another organisation: its row leaves the first one's rows and
    is kept, and read, under the other's (never under the first's scope again)."""
    list(derive_rows(organisation, THIS_MONTH))
    with scopes_disabled():
        Case.objects.filter(pk=case.pk).update(organisation=other_organisation)
    assert list(derive_rows(organisation, THIS_MONTH)) == []
    (moved,) = derive_rows(other_organisation, THIS_MONTH)
    assert moved["pilot"] == "CY-CYRC" and _kept(case).organisation == other_organisation
    # Its count was the first organisation's to read: kept again once, then it holds.
    assert list(derive_rows(other_organisation, THIS_MONTH)) == [moved]
    assert _holds(case) and list(derive_rows(other_organisation, THIS_MONTH)) == [moved]


def test_it_derives_the_rows_when_they_cannot_be_kept(case, organisation, monkeypatch):
    """A database that refuses to keep the rows (another writer holding SQLite's lock) costs
    the next derivation its speed, never the rows."""

    def refuse(*args, **kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(Insert, "run", refuse)
    assert list(derive_rows(organisation, THIS_MONTH)) == _derived(organisation)
    assert not _holds(case)


DAYS = st.integers(min_value=0, max_value=500)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("derive"), st.integers(min_value=0, max_value=16)),
        st.tuples(st.sampled_from(["contact", "assessment", "engagement", "closure"]), DAYS),
        st.tuples(st.sampled_from(["approve", "outcome", "inclusion", "child"]), DAYS),
    ),
    min_size=1,
    max_size=12,
)


class TestKeptRowsAreTheDerivedRows(HypothesisTestCase):
    """For drawn writes and derivations of drawn periods in any order, every derivation gives
    the rows derived from the cases alone."""

    @classmethod
    def setUpTestData(cls):
        with scopes_disabled():
            cls.organisation = OrganisationFactory(code="BG-CLA", country="BG")
            cls.manager = UserFactory(organisation=cls.organisation)
            household = Household.objects.create(organisation=cls.organisation)
            cls.cases = [
                CaseFactory(
                    organisation=cls.organisation,
                    case_manager=cls.manager,
                    referral_date=days_ago(520 - 40 * n),
                    household=household if n == 0 else None,
                )
                for n in range(3)
            ]

    @settings(max_examples=25, deadline=None)
    @given(steps=STEPS, which=st.lists(st.integers(0, 2), min_size=12, max_size=12))
    def test_it_gives_the_derived_rows_whatever_happened_in_between(self, steps, which):
        today = days_ago(0)
        with scopes_disabled():
            for (kind, value), index in zip(steps, which, strict=False):
                case = self.cases[index]
                day = days_ago(value)
                if kind == "derive":
                    month = today.replace(day=1) - datetime.timedelta(days=31 * value)
                    self._same(month.strftime("%Y-%m"))
                    continue
                self._write(kind, case, day)
            self._same(THIS_MONTH)

    def _same(self, period_end):
        """The rows, and the keys they carry, are those derived and made afresh."""
        rows, derived = (
            list(derive_rows(self.organisation, period_end)),
            _derived(self.organisation, period_end),
        )
        assert rows == derived
        assert _keys(rows) == _made(derived)
        # The organisation's document too (`OrganisationRows`), each time made again.
        read = live_rows(self.organisation, period_end)
        assert read == derived
        assert _keys(read) == _made(derived)

    def _write(self, kind, case, day):
        by = self.manager
        if kind == "contact":
            Contact.objects.create(case=case, date=day, type="face_to_face", recorded_by=by)
        elif kind == "assessment":
            Assessment.objects.create(
                case=case, date=day, informed_decisions=day.day % 5 + 1, engage_procedures=3,
                wellbeing=2, vulnerability_health=day.day % 2 == 0, recorded_by=by,
            )  # fmt: skip
        elif kind == "engagement":
            EngagementRecord.objects.create(
                case=case, date=day, level="active", source="contact", recorded_by=by
            )
        elif kind == "closure":
            Closure.objects.create(case=case, date=day, reason="disengaged", requested_by=by)
        elif kind == "approve":
            Closure.objects.filter(case=case).update(status="approved")
        elif kind == "outcome":
            Case.objects.filter(pk=case.pk).update(
                outcome="regularised", outcome_permanence="temporary", outcome_date=day
            )
        elif kind == "inclusion":
            Case.objects.filter(pk=case.pk).update(inclusion_date=day)
        elif kind == "child":
            household = Case.objects.get(pk=case.pk).household
            if household is not None:
                Person.objects.create(
                    organisation=self.organisation, household=household, given_name="Kid",
                    relationship="child",
                )  # fmt: skip
