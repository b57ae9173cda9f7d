"""R22: every change of personal data is in the history, bulk updates and raw SQL included;
the history is append-only for the application, and erased with the person (R34)."""

import re

import pytest
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils.functional import Promise

from engage.accounts.factories import UserFactory
from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Case, Contact, Person, PossibleDuplicate
from engage.history import triggers
from engage.history.context import acting
from engage.history.models import AppendOnlyError, Change
from engage.history.services import NOT_SHOWN
from engage.lib.bulk import prepare_insert
from engage.privacy.services import erase_person
from engage.sharing.services import register_request
from tests.lib.test_encryption import SENTINELS, _assert_no_sentinel, _every_stored_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Amira")


@pytest.fixture
def active(case, alice, bob):
    return to_active(case, alice, bob)[0]


def _log_contact(client, case, note: str):
    return client.post(
        f"/cases/{case.pk}/contacts/new/",
        {"date": days_ago(1).isoformat(), "type": "phone", "note": note},
    )


def _db(pk):
    """An id as raw SQL takes it on this database."""
    return Case._meta.pk.get_db_prep_value(pk, connection)


def _updates(model: str, object_id) -> list[Change]:
    return list(Change.objects.filter(model=model, object_id=object_id, operation="update"))


class TestCapture:
    def test_it_records_an_orm_save_with_before_after_and_the_acting_user(self, case, bob):
        case.person.sex = "male"
        with acting(bob, request_id="a" * 32):
            case.person.save()
        (change,) = _updates("cases.person", case.person_id)
        assert change.before["sex"] == "female" and change.after["sex"] == "male"
        assert change.actor_id == bob.pk and change.request_id == "a" * 32
        assert change.person_id == case.person_id and change.organisation_id == case.organisation_id

    def test_it_records_the_user_and_request_of_a_change_made_in_a_request(
        self, active, as_user, alice
    ):
        response = _log_contact(as_user(alice), active, "Called about housing")
        assert response.status_code == 302
        contact = Contact.objects.get(case=active)
        insert = Change.objects.get(model="cases.contact", object_id=contact.pk)
        assert insert.operation == "insert" and insert.case_id == active.pk
        assert insert.actor_id == alice.pk and insert.request_id == response["X-Request-ID"]
        assert insert.after["type"] == "phone"
        assert "housing" not in insert.after["note"]  # ciphertext, never plaintext

    def test_it_records_a_bulk_update_of_cases(self, case, organisation, alice, bob):
        other = CaseFactory(organisation=organisation, case_manager=alice)
        with acting(bob):
            Case.objects.filter(pk__in=[case.pk, other.pk]).update(referral_source="police")
        for each in (case, other):
            (change,) = _updates("cases.case", each.pk)
            assert change.after == {"referral_source": "police"}
            assert change.before == {"referral_source": each.referral_source}
            assert change.actor_id == bob.pk and change.case_id == each.pk

    def test_it_records_bulk_update_and_raw_sql_and_the_system_as_actor(self, case):
        Person.objects.bulk_update([Person(pk=case.person_id, sex="male")], ["sex"])
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_case SET referral_source = 'self' WHERE id = %s", [_db(case.pk)]
            )
        assert _updates("cases.person", case.person_id)[0].after == {"sex": "male"}
        (raw,) = _updates("cases.case", case.pk)
        assert raw.after == {"referral_source": "self"} and raw.actor_id is None  # the system

    def test_it_records_a_raw_sql_update_made_with_the_context_of_a_service(self, case, bob):
        with acting(bob, request_id="b" * 32), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_person SET sex = 'male' WHERE id = %s", [_db(case.person_id)]
            )
        (change,) = _updates("cases.person", case.person_id)
        assert change.actor_id == bob.pk and change.request_id == "b" * 32

    def test_it_records_rows_inserted_by_one_executemany_with_the_acting_user(
        self, case, alice, bob
    ):
        """An `executemany` (engage.lib.bulk: an import's rows, the demo's) in a service's
        context: on PostgreSQL the context is set by a statement of its own first."""
        contacts = [
            Contact(case=case, date=days_ago(n), type="phone", recorded_by=alice) for n in (1, 2)
        ]
        with acting(bob, request_id="c" * 32), transaction.atomic():
            prepare_insert(Contact, contacts).run()
        for contact in contacts:
            insert = Change.objects.get(model="cases.contact", object_id=contact.pk)
            assert insert.operation == "insert" and insert.case_id == case.pk
            assert insert.actor_id == bob.pk and insert.request_id == "c" * 32

    def test_it_records_deletion_and_the_records_of_a_plan_with_their_case(
        self, organisation, alice, bob
    ):
        case, plan = to_active(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        goal = plan.goals.get()
        with acting(alice):
            action = services.add_action(
                goal,
                by=alice,
                data={
                    "description": "Book the lawyer",
                    "owner": "client",
                    "due_date": days_ago(-7),
                },
            )
        assert Change.objects.get(model="cases.action", object_id=action.pk).case_id == case.pk
        action.delete()
        deleted = Change.objects.get(model="cases.action", operation="delete")
        assert deleted.before["description"] and deleted.after is None
        assert deleted.person_id == case.person_id

    def test_it_writes_nothing_when_nothing_changes(self, case):
        Person.objects.filter(pk=case.person_id).update(sex=case.person.sex)
        assert _updates("cases.person", case.person_id) == []

    def test_it_keeps_one_requests_user_out_of_the_next_change(self, active, as_user, alice):
        assert _log_contact(as_user(alice), active, "").status_code == 302
        Case.objects.filter(pk=active.pk).update(referral_source="police")  # outside a request
        (change,) = [c for c in _updates("cases.case", active.pk) if "referral_source" in c.after]
        assert change.actor_id is None and change.request_id == ""

    def test_it_holds_no_plaintext(self, organisation, alice):
        case = CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name=SENTINELS["name"],
            person__phone=SENTINELS["phone"],
        )
        contact = Contact.objects.create(
            case=case, date=days_ago(1), type="phone", note="x", recorded_by=alice
        )
        contact.note = SENTINELS["note"]
        contact.save()
        Person.objects.filter(pk=case.person_id).update(family_name=SENTINELS["family"])
        assert Change.objects.filter(model="cases.contact", operation="update").exists()
        _assert_no_sentinel(repr(list(Change.objects.values_list("before", "after"))))
        _assert_no_sentinel(_every_stored_value())

    def test_it_has_a_trigger_for_every_model_with_personal_data_and_each_column(self):
        tracked = {m._meta.label for m in triggers.tracked_models()}
        assert {"cases.Person", "cases.Case", "cases.Contact", "cases.Assessment"} <= tracked
        assert {"sharing.Consent", "documents.Document", "cases.Goal"} <= tracked
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT DISTINCT event_object_table FROM information_schema.triggers"
                    " WHERE trigger_name LIKE 'history_%%'"
                )
                assert {r[0] for r in cursor.fetchall()} >= set(triggers.tracked_tables())
                return
            cursor.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            sql = {}
            for table, text in cursor.fetchall():
                sql.setdefault(table, "")
                sql[table] += text
        for model in triggers.tracked_models():
            text = sql.get(model._meta.db_table, "")
            missing = [
                f.column
                for f in model._meta.concrete_fields
                if not re.search(rf"OLD\.\"{f.column}\"", text)
            ]
            assert missing == [], f"{model._meta.label}: run install_triggers in a migration"


class TestAppendOnly:
    @pytest.fixture
    def change(self, case):
        return Change.objects.filter(model="cases.person").first()

    def test_the_orm_cannot_write_change_or_delete_an_entry(self, change):
        with pytest.raises(AppendOnlyError):
            change.save()
        with pytest.raises(AppendOnlyError):
            change.delete()
        with pytest.raises(AppendOnlyError):
            Change.objects.filter(pk=change.pk).update(request_id="tampered")
        with pytest.raises(AppendOnlyError):
            Change.objects.all().delete()

    @pytest.mark.parametrize(
        "sql", ["UPDATE history_change SET request_id = 'tampered'", "DELETE FROM history_change"]
    )
    def test_raw_sql_cannot_change_or_delete_an_entry(self, change, sql):
        count = Change.objects.count()
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
        assert Change.objects.count() == count
        assert not Change.objects.filter(request_id="tampered").exists()


class TestErasure:
    def test_it_purges_the_persons_history_and_only_theirs(self, organisation, alice, bob):
        mine, _plan = to_active(
            CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Ana"),
            alice,
            bob,
        )
        theirs = CaseFactory(organisation=organisation, case_manager=alice)
        services.log_contact(
            mine,
            by=alice,
            data={"date": days_ago(1), "type": "phone", "engagement_level": "active", "note": "n"},
        )
        mine_ids = {mine.pk, mine.person_id}
        assert Change.objects.filter(case_id=mine.pk).count() > 3
        cipher = Person.objects.filter(pk=mine.person_id).values_list("given_name", flat=True)
        old_name = _raw_given_name(mine.person_id)
        assert old_name in repr(list(Change.objects.values_list("after", flat=True)))
        erase_person(mine.person, by=bob, reason="request")
        # The values go; the rows stay, so the hash chain stays whole (issue 10 #6).
        for rows in (
            Change.objects.filter(case_id=mine.pk),
            Change.objects.filter(person_id=mine.person_id),
            Change.objects.filter(object_id__in=mine_ids),
        ):
            assert rows.exists()
            assert not rows.filter(Q(before__isnull=False) | Q(after__isnull=False)).exists()
        assert old_name not in _every_stored_value()
        assert Change.objects.filter(case_id=theirs.pk).exists()
        assert cipher  # the person row stays, erased
        # After the erasure, changes are recorded again as usual.
        Person.objects.filter(pk=mine.person_id).update(sex="male")
        again = Change.objects.filter(object_id=mine.person_id, operation="update")
        assert again.filter(after__isnull=False).exists()


def _raw_given_name(person_id) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name FROM cases_person WHERE id = %s", [_db(person_id)])
        return cursor.fetchone()[0]


class TestFieldNames:
    def test_every_field_the_history_shows_has_a_translated_name(self):
        # The pages name a changed field by its verbose_name; Django's default (the field's
        # name with spaces) would be English in every language.
        untranslated = [
            f"{model._meta.label}.{field.name}"
            for model in triggers.tracked_models()
            for field in model._meta.concrete_fields
            if field.column not in NOT_SHOWN and not isinstance(field.verbose_name, Promise)
        ]
        assert not untranslated


class TestPages:
    def test_it_shows_a_case_worker_who_changed_what_with_the_values(
        self, case, as_user, alice, bob
    ):
        with acting(bob):
            Person.objects.filter(pk=case.person_id).update(phone="+359 1 111")
        response = as_user(alice).get(f"/history/cases/{case.pk}/")
        page = response.content.decode()
        assert response.status_code == 200
        assert "Bob" in page and "Phone" in page and "+359 1 111" in page
        assert f'href="/cases/{case.pk}/"' in page  # the way back

    def test_it_shows_the_admin_field_names_without_values_and_audits_the_read(
        self, case, as_user, ada, bob
    ):
        with acting(bob):
            Person.objects.filter(pk=case.person_id).update(phone="+359 1 111")
        case_page = as_user(ada).get(f"/history/cases/{case.pk}/").content.decode()
        changes = as_user(ada).get("/history/").content.decode()
        for page in (case_page, changes):
            assert "Phone" in page and "Bob" in page
            assert "+359 1 111" not in page and "Amira" not in page
            # A change a card on a phone, each value named (engage.css, .table.stack).
            assert '<table class="table stack compact">' in page
            assert '<td data-label="Fields">' in page
        assert case.reference in changes
        from engage.audit.models import AuditEvent

        assert AuditEvent.objects.filter(action="view", object_id=case.pk, actor_id=ada.pk)

    def test_it_names_the_fields_and_the_change_in_the_readers_language(
        self, case, as_user, ada, bob
    ):
        # Each field by its translated name (not "Flagged by" on an Italian page), and the
        # kind of record beside the change as a noun: no participle to agree with it.
        other = CaseFactory(organisation=case.organisation, case_manager=case.case_manager).person
        with acting(bob):
            PossibleDuplicate.objects.create(
                organisation=case.organisation, person=case.person, other=other,
                reasons=["identity"], flagged_by=bob)  # fmt: skip
            Person.objects.filter(pk=case.person_id).update(phone="+359 1 111")
        ada.language = "it"
        ada.save(update_fields=["language"])
        page = as_user(ada).get("/history/").content.decode()
        assert "Segnalato da" in page and "Altra persona" in page and "Motivi" in page
        assert "Flagged by" not in page and "Other person" not in page
        assert "Possibile duplicato: creazione" in page and "Persona: modifica" in page
        assert "duplicato creato" not in page and "Persona modificato" not in page

    def test_a_case_manager_does_not_read_the_register_of_authority_requests_here(
        self, case, as_user, alice, bob
    ):
        # The register is the supervisors' and admins' (R14): not through a case's history.
        register_request(case.organisation, by=bob, data={
            "case": case, "received_on": days_ago(1), "requester": "Sentinel Border Unit",
            "requester_type": "enforcement", "legal_basis": "Sentinel article 42",
            "data_requested": "Sentinel current address"})  # fmt: skip
        assert as_user(alice).get("/sharing/requests/").status_code == 404
        page = as_user(alice).get(f"/history/cases/{case.pk}/").content.decode()
        assert "Sentinel" not in page
        assert "Sentinel Border Unit" in as_user(bob).get(f"/history/cases/{case.pk}/").content.decode()

    def test_it_leaves_out_the_identity_changes_of_an_earlier_enrollment(
        self, organisation, as_user, alice
    ):
        dan = UserFactory(username="dan", first_name="Danail", organisation=organisation)
        earlier = CaseFactory(organisation=organisation, case_manager=dan, household=None,
                              person__given_name="Oldnamesentinel")  # fmt: skip
        with acting(dan):  # Dan corrects the name, during his enrollment
            Person.objects.filter(pk=earlier.person_id).update(given_name="Newname")
        later = CaseFactory(organisation=organisation, case_manager=alice, person=earlier.person,
                            previous=earlier, household=None)  # fmt: skip
        with acting(alice):
            Person.objects.filter(pk=earlier.person_id).update(phone="+359 3 333")
        assert as_user(alice).get(f"/cases/{earlier.pk}/").status_code == 404
        page = as_user(alice).get(f"/history/cases/{later.pk}/").content.decode()
        assert "+359 3 333" in page  # made during her enrollment
        assert "Oldnamesentinel" not in page and "Danail" not in page
        page = as_user(dan).get(f"/history/cases/{earlier.pk}/").content.decode()
        assert "Oldnamesentinel" in page and "Danail" in page

    def test_it_leaves_out_the_identity_changes_of_a_later_enrollment_held_elsewhere(
        self, organisation, as_user, alice
    ):
        """The other way round: the case manager of a closed enrollment read, in its history,
        who corrected the person's identity after the person came back (a colleague's later
        enrollment, which the case page does not name to them), when, and what."""
        dan = UserFactory(username="dan", first_name="Danail", organisation=organisation)
        earlier = CaseFactory(organisation=organisation, case_manager=dan, household=None,
                              person__phone="+359 1 111")  # fmt: skip
        with acting(dan):
            Person.objects.filter(pk=earlier.person_id).update(address="Dansaddresssentinel")
        later = CaseFactory(organisation=organisation, case_manager=alice, person=earlier.person,
                            previous=earlier, household=None)  # fmt: skip
        with acting(alice):
            Person.objects.filter(pk=earlier.person_id).update(phone="+359 3 333")
        assert as_user(dan).get(f"/cases/{later.pk}/").status_code == 404
        page = as_user(dan).get(f"/history/cases/{earlier.pk}/").content.decode()
        assert "Dansaddresssentinel" in page  # made during his enrollment
        assert "+359 3 333" not in page and "Alice" not in page
        page = as_user(alice).get(f"/history/cases/{later.pk}/").content.decode()
        assert "+359 3 333" in page and "Alice" in page

    def test_it_hides_other_organisations_changes(self, case, as_user, charlie, olga):
        assert as_user(charlie).get(f"/history/cases/{case.pk}/").status_code == 404
        assert case.reference not in as_user(olga).get("/history/").content.decode()

    def test_it_pages_the_history(self, case, as_user, alice):
        for source in ("police", "ngo") * 20:
            Case.objects.filter(pk=case.pk).update(referral_source=source)
        page = as_user(alice).get(f"/history/cases/{case.pk}/?page=2").content.decode()
        assert "Page 2 of" in page
        assert Paginator(Change.objects.for_case(case), 30).num_pages == 2
