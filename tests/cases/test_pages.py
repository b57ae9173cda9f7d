"""The case pages as a case manager and a supervisor use them."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Case, Person, Stage
from engage.cases.timeline import prefetch_for_timeline, timeline_page

pytestmark = pytest.mark.django_db


def _referral(city, alice, **overrides):
    data = {
        "referral-referral_date": days_ago(3).isoformat(),
        "referral-referral_source": "detention_centre",
        "referral-detention_at_referral": "released",
        "referral-migration_status": "refused_asylum_seeker",
        "referral-interpreter_language": "Arabic",
        "referral-legal_basis": "consent",
        "referral-purpose": "Case management in the community",
        "referral-city": city.pk,
        "referral-case_manager": alice.pk,
        "person-given_name": "Amal",
        "person-family_name": "Testperson",
        "person-sex": "female",
        "person-nationality": "SY",
        "household-TOTAL_FORMS": 3,
        "household-INITIAL_FORMS": 0,
        "household-0-given_name": "Omar",
        "household-0-relationship": "child",
        "household-0-sex": "male",
    }
    return data | overrides


class TestRegisterReferral:
    def test_it_registers_a_person_with_their_household(self, as_user, alice, organisation):
        city = organisation.cities.get()
        response = as_user(alice).post("/cases/new/", _referral(city, alice))
        case = Case.objects.get()
        assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
        assert case.person.given_name == "Amal" and case.stage == Stage.REFERRED
        assert set(
            Person.objects.filter(household=case.household).values_list("given_name", flat=True)
        ) == {"Amal", "Omar"}

    def test_it_needs_a_legal_basis_and_a_purpose(self, as_user, alice, organisation):
        city = organisation.cities.get()
        data = _referral(city, alice, **{"referral-legal_basis": "", "referral-purpose": " "})
        body = as_user(alice).post("/cases/new/", data).content.decode()
        assert 'id="id_referral-legal_basis_error"' in body
        assert 'id="id_referral-purpose_error"' in body
        assert Case.objects.count() == 0 and Person.objects.count() == 0

    def test_it_shows_errors_next_to_the_fields_and_saves_nothing(
        self, as_user, alice, organisation
    ):
        city = organisation.cities.get()
        data = _referral(
            city,
            alice,
            **{"person-given_name": "", "referral-referral_date": days_ago(-2).isoformat()},
        )
        body = as_user(alice).post("/cases/new/", data).content.decode()
        assert "This field is required." in body
        assert "This date is in the future." in body or Case.objects.count() == 0
        assert Case.objects.count() == 0 and Person.objects.count() == 0

    def test_it_refuses_a_future_referral_date_next_to_the_field(
        self, as_user, alice, organisation
    ):
        city = organisation.cities.get()
        data = _referral(city, alice, **{"referral-referral_date": days_ago(-2).isoformat()})
        body = as_user(alice).post("/cases/new/", data).content.decode()
        assert "This date is in the future." in body
        assert Case.objects.count() == 0

    def test_it_offers_only_the_organisations_case_managers_and_cities(
        self, as_user, alice, charlie, organisation, other_organisation
    ):
        body = as_user(alice).get("/cases/new/").content.decode()
        assert "Charlie" not in body and "Nicosia" not in body


class TestCasePage:
    def test_it_tells_the_story_and_whats_next(self, as_user, case, alice, bob):
        case, _plan = to_active(case, alice, bob)
        services.log_contact(
            case, by=alice, data={"date": days_ago(2), "type": "home_visit", "note": "Went well"}
        )
        body = as_user(alice).get(f"/cases/{case.pk}/").content.decode()
        for text in (
            "Referred",
            "First meeting",
            "Screening",
            "Included in the programme",
            "Assessment",
            "Case plan agreed",
            "Home visit",
            "Went well",
            "Reassess",  # what's next: the assessment of 170 days ago is due again
        ):
            assert text in body, text

    def test_it_audits_every_read_of_the_case(self, as_user, case, alice):
        client = as_user(alice)
        client.get(f"/cases/{case.pk}/")
        client.get(f"/cases/{case.pk}/")
        events = AuditEvent.objects.filter(object_id=case.pk, action="view")
        assert events.count() == 2
        assert events.first().actor_id == alice.pk

    def test_it_keeps_sensitive_notes_from_the_org_admin(self, as_user, case, alice, ada):
        services.log_contact(
            case,
            by=alice,
            data={"date": days_ago(2), "type": "phone", "note": "Zzprivate", "sensitive": True},
        )
        assert "Zzprivate" in as_user(alice).get(f"/cases/{case.pk}/").content.decode()
        assert "Zzprivate" not in as_user(ada).get(f"/cases/{case.pk}/").content.decode()

    def test_it_gives_an_outsider_404(self, as_user, case, charlie, nadia):
        assert as_user(charlie).get(f"/cases/{case.pk}/").status_code == 404
        assert as_user(nadia).get(f"/cases/{case.pk}/").status_code == 404

    def test_its_query_count_does_not_grow_with_the_case(self, as_user, case, alice, bob):
        case, plan = to_active(case, alice, bob)
        # One contact already: the notes of the contacts shown are read in one query, which a
        # case without contacts does not need.
        services.log_contact(case, by=alice, data={"date": days_ago(9), "type": "phone"})
        client = as_user(alice)
        with CaptureQueriesContext(connection) as small:
            client.get(f"/cases/{case.pk}/")
        for n in range(5):
            services.log_contact(case, by=alice, data={"date": days_ago(n), "type": "phone"})
            services.add_goal(plan, by=alice, data={"area": "health", "description": f"Goal {n}"})
        with CaptureQueriesContext(connection) as big:
            client.get(f"/cases/{case.pk}/")
        assert len(big) == len(small)

    def test_it_pages_a_long_timeline_newest_first(self, as_user, case, alice, bob):
        case, _plan = to_active(case, alice, bob)
        for n in range(40):
            services.log_contact(
                case, by=alice, data={"date": days_ago(n), "type": "phone", "note": f"Call {n}."}
            )
        client = as_user(alice)
        first = client.get(f"/cases/{case.pk}/").content.decode()
        assert "Call 0." in first and "Call 39." not in first and "Page 1 of 2" in first
        second = client.get(f"/cases/{case.pk}/", {"page": 2}).content.decode()
        assert "Call 39." in second and "Call 0." not in second

    def test_it_dates_a_plan_agreed_after_midnight_on_the_organisations_day(self, case, alice, bob):
        """Agreed at 00:30 in Sofia on 1 March (22:30 UTC on 28 February): the timeline read in
        Sofia says 1 March, as the case worker lived it."""
        case, plan = to_active(case, alice, bob)
        agreed = datetime.datetime(2027, 2, 28, 22, 30, tzinfo=datetime.UTC)
        type(plan).objects.filter(pk=plan.pk).update(approved_at=agreed)
        case = prefetch_for_timeline(Case.objects.get(pk=case.pk))
        with timezone.override(zoneinfo.ZoneInfo("Europe/Sofia")):
            events = timeline_page(case, 1, per_page=100, show_sensitive=True).object_list
        assert [e.date for e in events if e.kind == "plan"] == [datetime.date(2027, 3, 1)]

    def test_it_logs_a_contact_from_the_case_page(self, as_user, case, alice):
        response = as_user(alice).post(
            f"/cases/{case.pk}/contacts/new/",
            {
                "date": days_ago(0).isoformat(),
                "type": "face_to_face",
                "duration_minutes": 45,
                "engagement_level": "active",
                "note": "Talked about options",
            },
        )
        assert response.status_code == 302
        assert case.contacts.get().note == "Talked about options"

    def test_it_answers_htmx_contact_errors_with_the_form_only(self, as_user, case, alice):
        response = as_user(alice).post(
            f"/cases/{case.pk}/contacts/new/", {"type": "phone"}, HTTP_HX_REQUEST="true"
        )
        body = response.content.decode()
        assert "This field is required." in body and "<html" not in body

    def test_it_refuses_a_step_out_of_order_with_a_message(self, as_user, case, alice):
        response = as_user(alice).get(f"/cases/{case.pk}/assessments/new/", follow=True)
        assert "Assessments start once the client is included" in response.content.decode()


class TestLists:
    def test_it_searches_by_name_and_reference(self, as_user, case, alice, organisation):
        other = CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name="Bilal",
            person__family_name="Émile-Searchable",
            person__phone="+359 88 123 4567",
            person__document_number="ab-12 345",
        )
        client = as_user(alice)
        body = client.get("/cases/", {"q": "bilal"}).content.decode()
        assert "Bilal" in body and case.person.given_name not in body
        body = client.get("/cases/", {"q": case.reference}).content.decode()
        assert case.person.given_name in body and "Bilal" not in body
        # Case, accents, word order, a phone however spaced, a document number however typed.
        for query in ("emile BILAL", "searchable", "+359881234567", "359 88 123 4567", "AB12345"):
            body = client.get("/cases/", {"q": query}).content.decode()
            assert other.reference in body and case.reference not in body, query
        # Part of a phone or document number finds nobody, and the box says so beside it.
        for query in ("4567", "12345"):
            body = client.get("/cases/", {"q": query}).content.decode()
            assert other.reference not in body, query
        assert "a whole phone or document number" in body
        body = client.get("/cases/", {"q": "Bi"}).content.decode()
        assert other.reference not in body  # three letters at least: see cases/search.py
        body = client.get("/cases/", {"q": "Bil"}).content.decode()
        assert other.reference in body  # the beginning of a name
        body = client.get("/cases/", {"q": "ilal"}).content.decode()
        assert other.reference not in body  # never the inside of one

    def test_it_filters_by_what_is_due(self, as_user, case, alice, organisation):
        recent = CaseFactory(
            organisation=organisation,
            case_manager=alice,
            referral_date=days_ago(1),
            person__given_name="Recent",
        )
        body = as_user(alice).get("/cases/", {"due": "contact"}).content.decode()
        assert case.person.given_name in body and "Recent" not in body
        assert recent

    def test_it_never_lists_another_organisations_cases(
        self, as_user, case, alice, ada, foreign_case
    ):
        for user in (alice, ada):
            body = as_user(user).get("/cases/", {"q": "Zzforeign", "stage": "all"}).content.decode()
            assert "No case matches" in body

    def test_the_caseload_dashboard_keeps_its_query_count_as_cases_grow(
        self, as_user, organisation, alice, bob
    ):
        CaseFactory(organisation=organisation, case_manager=alice)
        for user in (alice, bob):
            client = as_user(user)
            with CaptureQueriesContext(connection) as small:
                client.get("/")
            CaseFactory.create_batch(10, organisation=organisation, case_manager=alice)
            with CaptureQueriesContext(connection) as big:
                client.get("/")
            assert len(big) == len(small), user

    def test_the_caseload_shows_the_most_urgent_first(self, as_user, organisation, alice):
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            referral_date=days_ago(1),
            person__given_name="Calm",
        )
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            referral_date=days_ago(90),
            person__given_name="Urgent",
        )
        body = as_user(alice).get("/").content.decode()
        assert body.index("Urgent") < body.index("Calm")
        assert "Contact overdue" in body


class TestApprovals:
    def test_a_supervisor_approves_from_the_queue(self, as_user, case, alice, bob):
        decision = services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="Left"
        )
        client = as_user(bob)
        assert case.person.given_name in client.get("/cases/approvals/").content.decode()
        response = client.post(
            f"/cases/decisions/{decision.pk}/", {"decision": "approve", "review_note": ""}
        )
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.stage == Stage.DECLINED

    def test_sending_back_needs_a_note(self, as_user, case, alice, bob):
        decision = services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="Left"
        )
        body = (
            as_user(bob)
            .post(f"/cases/decisions/{decision.pk}/", {"decision": "reject", "review_note": ""})
            .content.decode()
        )
        assert "Say what needs to change" in body

    def test_a_case_manager_cannot_open_the_approval(self, as_user, case, alice):
        decision = services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="Left"
        )
        assert as_user(alice).get(f"/cases/decisions/{decision.pk}/").status_code == 404
