"""Not registering a person twice (issue 11 #8): the check before a referral is saved, what
the warning may say, the supervisor's decision, and one person in the network dataset."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.accounts.factories import TeamFactory, UserFactory
from engage.accounts.models import Role
from engage.audit.models import AuditEvent
from engage.cases import duplicates
from engage.cases.factories import CaseFactory, PersonFactory, days_ago
from engage.cases.models import Case, Household, Person, PossibleDuplicate
from engage.cases.views import PAGE_SIZE
from engage.mel import services as mel
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

BORN = datetime.date(1990, 1, 1)


@pytest.fixture
def eve(organisation):
    """A supervisor of another team of Alice's organisation."""
    return UserFactory(
        username="eve", first_name="Eve", role=Role.SUPERVISOR, organisation=organisation
    )


@pytest.fixture
def dave(organisation, eve):
    """A case manager of Eve's team: his cases are outside Alice's and Bob's caseloads."""
    team = TeamFactory(organisation=organisation, name="Plovdiv", leader=eve)
    return UserFactory(
        username="dave", first_name="Dave", last_name="Otherteam", organisation=organisation,
        team=team,
    )  # fmt: skip


@pytest.fixture
def hidden(organisation, dave):
    """A client known to the organisation, in Dave's caseload."""
    return CaseFactory(
        organisation=organisation,
        case_manager=dave,
        person__given_name="Mohammed",
        person__family_name="Haddadsecret",
        person__date_of_birth=BORN,
        person__phone="+359 88 123 4567",
        person__document_number="AB 123456",
    )


def _referral(city, case_manager, **person):
    data = {
        "referral-referral_date": days_ago(1).isoformat(),
        "referral-referral_source": "ngo",
        "referral-detention_at_referral": "released",
        "referral-migration_status": "asylum_seeker",
        "referral-legal_basis": "consent",
        "referral-purpose": "Case management in the community",
        "referral-city": city.pk,
        "referral-case_manager": case_manager.pk,
        "person-given_name": "Amal",
        "person-family_name": "Newperson",
        "person-sex": "male",
        "person-nationality": "SY",
        "household-TOTAL_FORMS": 0,
        "household-INITIAL_FORMS": 0,
    }
    return data | {f"person-{name}": value for name, value in person.items()}


def _same_person(**changes):
    values = {"given_name": "Muhammad", "family_name": "Haddadsecret", "date_of_birth": BORN}
    return _referral_person(values | changes)


def _referral_person(values):
    return {
        name: value.isoformat() if isinstance(value, datetime.date) else value
        for name, value in values.items()
    }


class TestFind:
    def test_it_finds_a_name_that_sounds_the_same_with_the_same_birth_date(
        self, organisation, hidden
    ):
        person = {"given_name": "Muhammad", "family_name": "Haddadsecret", "date_of_birth": BORN}
        assert duplicates.find(organisation.pk, person) == [
            duplicates.Match(hidden.person_id, ("identity",))
        ]
        # Given and family names swapped, as records often have them.
        swapped = {"given_name": "Haddadsecret", "family_name": "Mohamed", "date_of_birth": BORN}
        assert [m.person_id for m in duplicates.find(organisation.pk, swapped)] == [
            hidden.person_id
        ]

    def test_another_birth_date_is_not_the_same_person(self, organisation, hidden):
        person = {"given_name": "Mohammed", "family_name": "Haddadsecret",
                  "date_of_birth": datetime.date(1991, 1, 1)}  # fmt: skip
        assert duplicates.find(organisation.pk, person) == []

    def test_it_finds_the_same_document_or_phone_however_written(self, organisation, hidden):
        by_document = {"given_name": "X", "document_number": "ab123456"}
        by_phone = {"given_name": "Y", "phone": "088 123 4567"}
        assert duplicates.find(organisation.pk, by_document)[0].reasons == ("document",)
        assert duplicates.find(organisation.pk, by_phone)[0].reasons == ("phone",)

    def test_another_organisation_never_matches(self, other_organisation, hidden):
        person = {"given_name": "Mohammed", "family_name": "Haddadsecret",
                  "date_of_birth": BORN, "phone": "+359 88 123 4567"}  # fmt: skip
        assert duplicates.find(other_organisation.pk, person) == []

    def test_it_is_one_query_and_decrypts_no_one(self, organisation, hidden):
        with CaptureQueriesContext(connection) as queries:
            duplicates.find(organisation.pk, {"given_name": "Mohammed", "date_of_birth": BORN})
        assert len(queries) == 1 and "cases_person" not in queries[0]["sql"]


class TestWarningOnTheForm:
    def test_it_warns_of_a_person_known_outside_the_caseload_without_a_detail(
        self, as_user, alice, bob, organisation, hidden
    ):
        city = organisation.cities.get()
        response = as_user(alice).post(
            "/cases/new/", _referral(city, alice, **_same_person(phone="+359 88 123 4567"))
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "This person may already be known" in body
        assert "a caseload you cannot open" in body
        assert f"Ask your supervisor, {bob.get_full_name()}" in body
        assert "the same phone number" in body
        # Nothing that identifies the known person or their case (the user typed Muhammad);
        # the warning names no one but the user's supervisor.
        for secret in ("Mohammed", hidden.reference, str(hidden.pk), str(hidden.person_id),
                       "AB 123456", "123456"):  # fmt: skip
            assert secret not in body, secret
        warning = body.split('id="possible-duplicate"')[1].split("</div>\n</div>")[0]
        assert "Dave" not in warning and "Eve" not in warning and "Plovdiv" not in warning
        assert Case.objects.count() == 1  # nothing registered
        warning = AuditEvent.objects.get(detail__startswith="duplicate_warning")
        assert warning.actor_id == alice.pk and warning.object_id == hidden.person_id

    def test_the_user_can_say_it_is_a_different_person_and_a_supervisor_is_asked(
        self, as_user, alice, organisation, hidden
    ):
        city = organisation.cities.get()
        client = as_user(alice)
        data = _referral(city, alice, **_same_person())
        body = client.post("/cases/new/", data).content.decode()
        token = body.split('name="different_person" value="')[1].split('"')[0]
        response = client.post("/cases/new/", data | {"different_person": token})
        assert response.status_code == 302
        new = Case.objects.exclude(pk=hidden.pk).get()
        flag = PossibleDuplicate.objects.get()
        assert (flag.person_id, flag.other_id) == (new.person_id, hidden.person_id)
        assert flag.reasons == ["identity"] and flag.flagged_by == alice
        assert AuditEvent.objects.filter(action="create", object_id=flag.pk).exists()

    def test_a_confirmation_stands_for_the_warning_it_answered(
        self, as_user, alice, organisation, hidden
    ):
        city = organisation.cities.get()
        client = as_user(alice)
        body = client.post("/cases/new/", _referral(city, alice, **_same_person())).content
        token = body.decode().split('name="different_person" value="')[1].split('"')[0]
        # The form changed: now the document matches too (another warning, another answer).
        data = _referral(city, alice, **_same_person(document_number="AB123456"))
        response = client.post("/cases/new/", data | {"different_person": token})
        assert (
            response.status_code == 200 and "the same document number" in response.content.decode()
        )
        assert Case.objects.count() == 1

    def test_a_case_the_user_can_open_is_named_with_a_link(self, as_user, alice, organisation):
        mine = CaseFactory(organisation=organisation, case_manager=alice,
                           person__given_name="Youssef", person__family_name="Karimi",
                           person__date_of_birth=BORN)  # fmt: skip
        city = organisation.cities.get()
        data = _referral(city, alice, **_referral_person(
            {"given_name": "Yusuf", "family_name": "Karimi", "date_of_birth": BORN}))  # fmt: skip
        body = as_user(alice).post("/cases/new/", data).content.decode()
        assert "in a case you can open" in body
        assert mine.reference in body and f"/cases/{mine.pk}/" in body
        assert "Ask your supervisor" not in body

    def test_with_one_case_of_her_own_and_one_hidden_it_names_only_hers(
        self, as_user, alice, organisation, hidden
    ):
        mine = CaseFactory(organisation=organisation, case_manager=alice,
                           person__given_name="Mohamed", person__family_name="Haddadsecret",
                           person__date_of_birth=BORN)  # fmt: skip
        city = organisation.cities.get()
        body = as_user(alice).post("/cases/new/", _referral(city, alice, **_same_person()))
        text = body.content.decode()
        assert "in a caseload you cannot open" in text
        assert "Cases you can open that may be this person:" in text
        assert mine.reference in text and hidden.reference not in text

    def test_a_new_person_is_registered_at_once(self, as_user, alice, organisation, hidden):
        city = organisation.cities.get()
        response = as_user(alice).post("/cases/new/", _referral(city, alice))
        assert response.status_code == 302 and Case.objects.count() == 2
        assert not PossibleDuplicate.objects.exists()

    def test_another_organisation_never_learns_of_the_person(
        self, as_user, charlie, other_organisation, hidden
    ):
        city = other_organisation.cities.get()
        data = _referral(city, charlie, **_same_person(phone="+359 88 123 4567",
                                                      document_number="AB123456"))  # fmt: skip
        response = as_user(charlie).post("/cases/new/", data)
        assert response.status_code == 302
        assert not PossibleDuplicate.objects.exists()
        assert not AuditEvent.objects.filter(detail__startswith="duplicate_warning").exists()


class TestApi:
    def _post(self, client, city, user, **extra):
        body = {
            "client": {
                "given_name": "Muhammad",
                "family_name": "Haddadsecret",
                "date_of_birth": BORN.isoformat(),
            },
            "referral_date": days_ago(1).isoformat(),
            "referral_source": "ngo",
            "detention_at_referral": "released",
            "migration_status": "asylum_seeker",
            "legal_basis": "consent",
            "purpose": "Case management in the community",
            "city": city.name,
            "case_manager": str(user.pk),
        } | extra
        return client.post("/api/v1/cases/", body)

    def test_it_answers_409_and_registers_after_the_confirmation(self, alice, organisation, hidden):
        client = ApiClient(make_token(alice))
        city = organisation.cities.get()
        answer = self._post(client, city, alice)
        assert answer.status_code == 409
        error = answer.json()["error"]
        assert error["code"] == "possible_duplicate"
        assert "Ask your supervisor" in error["message"] and error["cases"] == []
        text = answer.content.decode()
        assert hidden.reference not in text and str(hidden.person_id) not in text
        assert "Mohammed" not in text and str(hidden.pk) not in text
        assert Case.objects.count() == 1
        wrong = self._post(client, city, alice, different_person="0" * 32)
        assert wrong.status_code == 409
        created = self._post(client, city, alice, different_person=error["confirmation"])
        assert created.status_code == 201
        assert PossibleDuplicate.objects.get().other_id == hidden.person_id


class TestSupervisorDecision:
    @pytest.fixture
    def flagged(self, organisation, alice, bob):
        """Two records of one client in Alice's caseload, flagged."""
        first = CaseFactory(organisation=organisation, case_manager=alice,
                            person__given_name="Mohammed", person__family_name="Haddad",
                            person__date_of_birth=BORN, person__sex="male")  # fmt: skip
        second = CaseFactory(organisation=organisation, case_manager=alice,
                             person__given_name="Muhammad", person__family_name="Hadad",
                             person__date_of_birth=BORN, person__sex="male")  # fmt: skip
        (flag,) = duplicates.flag(
            second.person, [duplicates.Match(first.person_id, ("identity",))], by=alice
        )
        return first, second, flag

    def test_the_supervisor_sees_both_records_and_decides(self, as_user, bob, flagged):
        first, second, flag = flagged
        client = as_user(bob)
        body = client.get("/cases/duplicates/").content.decode()
        assert "Mohammed Haddad" in body and "Muhammad Hadad" in body
        assert first.reference in body and second.reference in body
        response = client.post(f"/cases/duplicates/{flag.pk}/", {"decision": "same_person"})
        assert response.status_code == 302
        flag.refresh_from_db()
        assert flag.decision == "same_person" and flag.decided_by == bob
        assert AuditEvent.objects.filter(action="update", object_id=flag.pk,
                                         detail="same_person").exists()  # fmt: skip

    def test_linking_makes_one_person_in_the_network_dataset(self, organisation, bob, ada, flagged):
        first, _second, flag = flagged
        mel.open_round(organisation, name="2026 round", key="k" * 32, by=ada)
        period = days_ago(0).strftime("%Y-%m")

        def refs():
            rows, _left_out = mel.checked_rows(organisation, period)
            return {row["case_ref"]: row["person_ref"] for row in rows}

        before = refs()
        assert len(set(before.values())) == 2  # Mohammed Haddad and Muhammad Hadad differ
        duplicates.decide(flag, decision="same_person", by=bob)
        after = refs()
        assert len(set(after.values())) == 1
        assert set(after.values()) == {before[mel.case_ref(first)]}  # the first record's
        duplicates.decide(flag, decision="different_people", by=bob)
        assert refs() == before

    def test_a_supervisor_who_cannot_open_both_cannot_decide(
        self, as_user, bob, alice, eve, hidden, organisation
    ):
        mine = CaseFactory(organisation=organisation, case_manager=alice,
                           person__given_name="Muhammad")  # fmt: skip
        (flag,) = duplicates.flag(
            mine.person, [duplicates.Match(hidden.person_id, ("identity",))], by=alice
        )
        client = as_user(bob)
        body = client.get("/cases/duplicates/").content.decode()
        assert "A record in a caseload you cannot open." in body
        assert "Haddadsecret" not in body and hidden.reference not in body
        client.post(f"/cases/duplicates/{flag.pk}/", {"decision": "same_person"})
        flag.refresh_from_db()
        assert flag.decision == "open"

    def test_a_household_member_shown_records_a_read_of_the_case_holding_them(
        self, as_user, alice, bob, organisation
    ):
        """A new client flagged with a household member (the partner's shared phone): the page
        shows the member's name, birth date and nationality, and recorded no read of the case
        whose household they are in (R21)."""
        household = Household.objects.create(organisation=organisation)
        client = CaseFactory(organisation=organisation, case_manager=alice, household=household,
                             person__household=household)  # fmt: skip
        partner = PersonFactory(organisation=organisation, household=household,
                                given_name="Partnersentinel", relationship="partner",
                                phone="+359 88 765 4321")  # fmt: skip
        newcomer = CaseFactory(organisation=organisation, case_manager=alice, household=None)
        duplicates.flag(newcomer.person, [duplicates.Match(partner.pk, ("phone",))], by=alice)
        body = as_user(bob).get("/cases/duplicates/").content.decode()
        assert "Partnersentinel" in body
        read = AuditEvent.objects.filter(actor_id=bob.pk, action="view", object_id=client.pk)
        assert read.exists()

    def test_a_case_manager_and_another_organisation_get_404(
        self, as_user, alice, olga, charlie, flagged
    ):
        _first, _second, flag = flagged
        assert as_user(alice).get("/cases/duplicates/").status_code == 404
        other = UserFactory(role=Role.SUPERVISOR, organisation=charlie.organisation)
        client = as_user(other)
        assert "Haddad" not in client.get("/cases/duplicates/").content.decode()
        response = client.post(f"/cases/duplicates/{flag.pk}/", {"decision": "same_person"})
        assert response.status_code == 404

    def test_the_home_page_counts_the_open_flags_the_supervisor_may_open_in_one_query_if_none(
        self, as_user, alice, bob, eve, dave, hidden, organisation, other_organisation, flagged
    ):
        # One of Alice's clients flagged with Dave's (Bob may open one of the two records),
        # two of Dave's clients flagged together (Bob may open neither), one decided.
        mine = CaseFactory(organisation=organisation, case_manager=alice)
        duplicates.flag(mine.person, [duplicates.Match(hidden.person_id, ("phone",))], by=alice)
        daves = CaseFactory(organisation=organisation, case_manager=dave)
        duplicates.flag(daves.person, [duplicates.Match(hidden.person_id, ("phone",))], by=dave)
        decided = CaseFactory(organisation=organisation, case_manager=alice)
        (flag,) = duplicates.flag(
            decided.person, [duplicates.Match(mine.person_id, ("phone",))], by=alice
        )
        duplicates.decide(flag, decision="different_people", by=bob)

        for user, expected in ((bob, 2), (eve, 2), (alice, 0)):
            assert duplicates.waiting_count(user) == expected, user.username
            expected_query = (
                duplicates.for_user(user).filter(decision=duplicates.Decision.OPEN).count()
            )
            assert expected == expected_query
        body = as_user(bob).get("/").content.decode()
        assert "2 referrals may be people already known" in body
        other = UserFactory(role=Role.SUPERVISOR, organisation=other_organisation)
        with CaptureQueriesContext(connection) as queries:
            assert duplicates.waiting_count(other) == 0
        assert len(queries) == 1

    def test_its_query_count_does_not_grow_with_the_flags(
        self, as_user, alice, bob, organisation, flagged
    ):
        client = as_user(bob)
        with CaptureQueriesContext(connection) as small:
            client.get("/cases/duplicates/")
        for n in range(5):
            one = CaseFactory(organisation=organisation, case_manager=alice)
            two = CaseFactory(organisation=organisation, case_manager=alice,
                              person__given_name=f"Twin{n}")  # fmt: skip
            duplicates.flag(two.person, [duplicates.Match(one.person_id, ("phone",))], by=alice)
        with CaptureQueriesContext(connection) as large:
            body = client.get("/cases/duplicates/").content.decode()
        assert body.count("Twin") == 5
        assert len(large) == len(small)

    def test_it_pages_the_flags_waiting_ones_first_in_a_constant_number_of_queries(
        self, as_user, alice, bob, organisation, flagged
    ):
        client = as_user(bob)
        _first, _second, decided = flagged
        decided = duplicates.decide(decided, decision="different_people", by=bob)

        def add(start, count):
            for n in range(start, start + count):
                one = CaseFactory(organisation=organisation, case_manager=alice)
                two = CaseFactory(organisation=organisation, case_manager=alice,
                                  person__given_name=f"Twin{n:03}")  # fmt: skip
                duplicates.flag(two.person, [duplicates.Match(one.person_id, ("phone",))], by=alice)

        add(0, PAGE_SIZE + 1)
        with CaptureQueriesContext(connection) as small:
            response = client.get("/cases/duplicates/")
        first_page = [pair.item for pair in response.context["pairs"]]
        assert len(first_page) == PAGE_SIZE
        assert all(item.decision == "open" for item in first_page)
        assert "page=2" in response.content.decode()
        second_page = [
            pair.item for pair in client.get("/cases/duplicates/?page=2").context["pairs"]
        ]
        # The last one waiting, then the one decided, though it was flagged first.
        assert [item.decision for item in second_page] == ["open", "different_people"]
        assert second_page[1].pk == decided.pk
        add(PAGE_SIZE + 1, 5)
        with CaptureQueriesContext(connection) as large:
            client.get("/cases/duplicates/")
        assert len(large) == len(small)

    def test_it_says_so_when_no_flag_was_made(self, as_user, bob):
        body = as_user(bob).get("/cases/duplicates/").content.decode()
        assert "No possible duplicate is waiting" in body

    def test_erasure_removes_the_link(self, bob, flagged):
        from engage.privacy.services import erase_person

        first, _second, flag = flagged
        erase_person(Person.objects.get(pk=first.person_id), by=bob, reason="request")
        assert not PossibleDuplicate.objects.filter(pk=flag.pk).exists()


def test_the_check_and_its_warning_take_the_same_queries_however_many_people_match(
    organisation, alice, dave
):
    def count(n):
        for i in range(n):
            CaseFactory(organisation=organisation, case_manager=dave,
                        person__given_name=f"Shared{i}", person__phone="+359 88 999 0000")  # fmt: skip
        person = {"given_name": "Newname", "phone": "0889990000"}
        with CaptureQueriesContext(connection) as queries:
            matches = duplicates.find(organisation.pk, person)
            duplicates.warning_for(alice, matches)
        return len(matches), len(queries)

    few, few_queries = count(1)
    many, many_queries = count(6)
    assert (few, many) == (1, 7)
    assert many_queries == few_queries
