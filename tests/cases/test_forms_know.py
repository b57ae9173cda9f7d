"""Forms that know what the system knows (issue 11 #6): referral, inclusion, assessment, closure."""

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats

from engage.accounts.factories import CityFactory
from engage.accounts.models import LegalBasis
from engage.cases import services
from engage.cases.eligibility import Records, check_criteria
from engage.cases.factories import (
    CaseFactory,
    PersonFactory,
    days_ago,
    to_active,
    to_included,
    to_screening,
)
from engage.cases.forms import HouseholdFormSet, InclusionForm
from engage.cases.models import Case, Person
from engage.cases.models.person import NATIONALITY_UNKNOWN, STATELESS
from engage.cases.models.process import EstablishedBy
from engage.cases.readiness import closure_warnings
from engage.imports.fields import header_key
from engage.imports.values import country_lookup
from engage.lib.forms import error_summary
from engage.mel.dataset.m49 import region_of
from engage.mel.dataset.rows import person_ref

pytestmark = pytest.mark.django_db

RATING_NAMES = ("informed_decisions", "engage_procedures", "wellbeing")

# 11:00 UTC on 1 March is already 2 March in Kiribati (UTC+14) and still 1 March in Sofia.
MORNING_UTC = datetime.datetime(2026, 3, 1, 11, 0, tzinfo=datetime.UTC)


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
        "household-TOTAL_FORMS": 0,
        "household-INITIAL_FORMS": 0,
    }
    return data | overrides


def _value_of(body: str, name: str) -> str:
    """The value an <input name=...> shows."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', body)
    assert tag, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def _selected(body: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{re.escape(name)}".*?</select>', body, re.S)
    assert select, name
    return [v for v in re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(0)) if v]


class TestReferralDefaults:
    def test_it_proposes_today_where_the_organisation_works(self, as_user, alice, organisation):
        organisation.time_zone = "Pacific/Kiritimati"
        organisation.save()
        with time_machine.travel(MORNING_UTC, tick=False):
            body = as_user(alice).get("/cases/new/").content.decode()
            assert organisation.today() == datetime.date(2026, 3, 2)
        assert _value_of(body, "referral-referral_date") == "2026-03-02"

    def test_its_today_is_the_organisations_whatever_zone_is_active(self, organisation):
        organisation.time_zone = "Europe/Sofia"
        with time_machine.travel(MORNING_UTC, tick=False):
            assert organisation.today() == datetime.date(2026, 3, 1)
            organisation.time_zone = "Pacific/Kiritimati"
            assert organisation.today() == datetime.date(2026, 3, 2)

    def test_it_preselects_the_city_when_the_organisation_has_only_one(
        self, as_user, alice, organisation
    ):
        city = organisation.cities.get()
        body = as_user(alice).get("/cases/new/").content.decode()
        assert _selected(body, "referral-city") == [str(city.pk)]
        CityFactory(organisation=organisation, name="Plovdiv")
        body = as_user(alice).get("/cases/new/").content.decode()
        assert _selected(body, "referral-city") == []

    def test_it_proposes_the_organisations_usual_legal_basis(self, as_user, alice, organisation):
        body = as_user(alice).get("/cases/new/").content.decode()
        assert _selected(body, "referral-legal_basis") == []
        organisation.default_legal_basis = LegalBasis.LEGITIMATE_INTEREST
        organisation.save()
        body = as_user(alice).get("/cases/new/").content.decode()
        assert _selected(body, "referral-legal_basis") == ["legitimate_interest"]
        assert "Your organisation&#x27;s usual basis" in body

    def test_another_legal_basis_can_be_chosen_for_one_referral(self, as_user, alice, organisation):
        organisation.default_legal_basis = LegalBasis.LEGITIMATE_INTEREST
        organisation.save()
        city = organisation.cities.get()
        as_user(alice).post("/cases/new/", _referral(city, alice))
        assert Case.objects.get().legal_basis == "consent"

    def test_a_new_enrollment_proposes_today_and_the_usual_legal_basis(
        self, as_user, alice, bob, organisation
    ):
        organisation.default_legal_basis = LegalBasis.VITAL_INTEREST
        organisation.save()
        case = CaseFactory(organisation=organisation, case_manager=alice)
        services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="Moved"
        )
        services.review_inclusion(case.inclusion_decisions.get(), by=bob, approve=True)
        body = as_user(alice).get(f"/cases/{case.pk}/reopen/").content.decode()
        assert _value_of(body, "referral_date") == organisation.today().isoformat()
        assert _selected(body, "legal_basis") == ["vital_interest"]


class TestOrganisationSettings:
    def test_the_admin_sets_the_usual_legal_basis_and_the_cities_stay(
        self, as_user, ada, organisation
    ):
        client = as_user(ada)
        body = client.get("/accounts/organisation/").content.decode()
        # The cities are shown as they are, so saving does not ask for them again.
        assert re.search(r'<textarea name="cities"[^>]*>\s*Sofia</textarea>', body)
        response = client.post(
            "/accounts/organisation/",
            {
                "name": organisation.name,
                "contact_interval_days": 14,
                "reassessment_interval_days": 90,
                "plan_review_interval_days": 90,
                "retention_months": 24,
                "offline_hours": 48,
                "caseload_target_min": 20,
                "caseload_target_max": 25,
                "time_zone": "Europe/Sofia",
                "default_legal_basis": "consent",
                "cities": "Sofia",
                "version": organisation.version,
            },
        )
        assert response.status_code == 302, response.content.decode()
        organisation.refresh_from_db()
        assert organisation.default_legal_basis == "consent"
        assert list(organisation.cities.values_list("name", flat=True)) == ["Sofia"]
        assert organisation.offline_hours == 48

    @pytest.mark.parametrize("hours", ["0", "337", "-1"])
    def test_it_says_the_offline_limit_s_bounds_next_to_the_field(
        self, as_user, ada, organisation, hours
    ):
        response = as_user(ada).post(
            "/accounts/organisation/",
            {
                "name": organisation.name,
                "contact_interval_days": 14,
                "reassessment_interval_days": 90,
                "plan_review_interval_days": 90,
                "retention_months": 24,
                "offline_hours": hours,
                "caseload_target_min": 20,
                "caseload_target_max": 25,
                "cities": "Sofia",
                "version": organisation.version,
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors == {
            "offline_hours": ["Between 1 hour and 14 days (336 hours)."]
        }
        body = response.content.decode()
        field = re.search(r'<input[^>]*name="offline_hours"[^>]*>', body).group(0)
        assert 'aria-invalid="true"' in field and 'min="1"' in field and 'max="336"' in field
        organisation.refresh_from_db()
        assert organisation.offline_hours == 72


class TestNationality:
    def test_it_offers_stateless_and_unknown_first(self, as_user, alice):
        body = as_user(alice).get("/cases/new/").content.decode()
        select = re.search(r'<select name="person-nationality".*?</select>', body, re.S)
        options = re.findall(r'<option value="([^"]*)"', select.group(0))
        assert options[:3] == ["", STATELESS, NATIONALITY_UNKNOWN]
        assert ">Stateless</option>" in select.group(0) and ">Unknown</option>" in body

    def test_it_registers_a_stateless_client(self, as_user, alice, organisation):
        city = organisation.cities.get()
        as_user(alice).post("/cases/new/", _referral(city, alice, **{"person-nationality": "XXA"}))
        person = Case.objects.get().person
        assert person.nationality.code == "XXA" and person.nationality.name == "Stateless"

    def test_the_importer_reads_them_in_english_french_or_as_codes(self):
        lookup = country_lookup()
        for word, code in (("Stateless", "XXA"), ("apatride", "XXA"), ("XXX", "XXX")):
            assert lookup[header_key(word)] == code, word
        assert lookup[header_key("Syria")] == "SY"

    def test_neither_is_a_region_of_the_network_dataset(self):
        assert region_of(STATELESS) == "unknown" and region_of(NATIONALITY_UNKNOWN) == "unknown"

    def test_unknown_counts_as_not_given_for_the_linkage_key(self, organisation):
        key = b"k" * 32
        born = datetime.date(1990, 5, 1)
        people = [
            PersonFactory.build(
                organisation=organisation, given_name="Amal", date_of_birth=born, nationality=code
            )
            for code in ("", NATIONALITY_UNKNOWN, STATELESS)
        ]
        blank, unknown, stateless = (person_ref(person, key) for person in people)
        assert blank == unknown and stateless != blank


class TestHouseholdMembers:
    def test_it_starts_without_empty_blocks_and_offers_to_add_one(self, as_user, alice):
        body = as_user(alice).get("/cases/new/").content.decode()
        assert 'name="household-TOTAL_FORMS" value="0"' in body
        assert 'name="household-0-given_name"' not in body
        assert 'name="add_member"' in body and "Add a household member" in body
        # The block the page's script copies, inert until then.
        assert '<template id="household-template">' in body
        assert 'name="household-__prefix__-given_name"' in body

    def test_adding_a_member_shows_the_form_again_as_typed_with_one_more_block(
        self, as_user, alice, organisation
    ):
        city = organisation.cities.get()
        data = _referral(city, alice, **{"person-family_name": "", "add_member": "1"})
        response = as_user(alice).post("/cases/new/", data)
        body = response.content.decode()
        assert response.status_code == 200 and Case.objects.count() == 0
        assert _value_of(body, "person-given_name") == "Amal"
        assert _selected(body, "referral-referral_source") == ["detention_centre"]
        assert 'name="household-TOTAL_FORMS" value="1"' in body
        assert "Household member 1" in body and "autofocus" in body
        # Not checked yet: nothing is said to be wrong.
        assert "error-summary" not in body and "errorlist" not in body

    def test_a_second_member_keeps_the_first(self, as_user, alice, organisation):
        city = organisation.cities.get()
        data = _referral(
            city,
            alice,
            **{
                "household-TOTAL_FORMS": 1,
                "household-0-given_name": "Omar",
                "household-0-relationship": "child",
                "household-0-sex": "male",
                "add_member": "1",
            },
        )
        body = as_user(alice).post("/cases/new/", data).content.decode()
        assert 'name="household-TOTAL_FORMS" value="2"' in body
        assert _value_of(body, "household-0-given_name") == "Omar"
        assert _value_of(body, "household-1-given_name") == ""

    def test_it_registers_the_members_added(self, as_user, alice, organisation):
        city = organisation.cities.get()
        data = _referral(
            city,
            alice,
            **{
                "household-TOTAL_FORMS": 2,
                "household-0-given_name": "Omar",
                "household-0-relationship": "child",
                "household-0-sex": "male",
                "household-1-given_name": "",
                "household-1-relationship": "partner",
                "household-1-sex": "unknown",
            },
        )
        response = as_user(alice).post("/cases/new/", data)
        assert response.status_code == 302
        case = Case.objects.get()
        names = Person.objects.filter(household=case.household).values_list("given_name", flat=True)
        assert sorted(names) == ["Amal", "Omar"]

    def test_it_stops_offering_a_block_at_twelve(self, as_user, alice, organisation):
        city = organisation.cities.get()
        data = _referral(city, alice, **{"household-TOTAL_FORMS": 11, "add_member": "1"})
        body = as_user(alice).post("/cases/new/", data).content.decode()
        assert 'name="household-TOTAL_FORMS" value="12"' in body
        assert 'name="add_member"' not in body

    def test_it_takes_no_more_than_twelve_members(self, as_user, alice, organisation):
        city = organisation.cities.get()
        data = _referral(city, alice, **{"household-TOTAL_FORMS": 40})
        response = as_user(alice).post("/cases/new/", data)
        assert response.status_code == 200 and Case.objects.count() == 0
        household = HouseholdFormSet(data, prefix="household")
        assert not household.is_valid()


class TestErrorSummary:
    def test_it_links_each_error_to_its_field_in_page_order(self, as_user, alice, organisation):
        city = organisation.cities.get()
        data = _referral(
            city,
            alice,
            **{
                "person-given_name": "",
                "referral-referral_source": "",
                "household-TOTAL_FORMS": 1,
                "household-0-given_name": "Omar",
                "household-0-relationship": "child",
                "household-0-sex": "male",
                "household-0-date_of_birth": days_ago(-10).isoformat(),
            },
        )
        body = as_user(alice).post("/cases/new/", data).content.decode()
        summary = re.search(r'<div class="error-summary".*?</div>', body, re.S).group(0)
        links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
        assert [target for target, _text in links] == [
            "id_referral-referral_source",
            "id_person-given_name",
            "id_household-0-date_of_birth",
        ]
        assert "3 answers need correcting" in summary
        assert links[2][1].startswith("Household member 1: Date of birth: ")
        for target, _text in links:
            assert f'id="{target}"' in body
        assert Case.objects.count() == 0

    def test_a_group_of_choices_is_linked_to_its_first_choice(self, case, alice):
        to_screening(case, alice)
        services.save_screening(
            case,
            by=alice,
            data={"date": days_ago(1), "detention_risk": "high", "intervention_rating": "low"},
            expected_version=None,
        )
        form = InclusionForm({"date": ""}, checks=[])
        assert not form.is_valid()
        assert [link.target for link in error_summary(form)] == ["id_include_0", "id_date"]

    def test_the_process_forms_show_it(self, as_user, case, alice, bob):
        case, _plan = to_active(case, alice, bob)
        client = as_user(alice)
        for path in (f"/cases/{case.pk}/assessments/new/", f"/cases/{case.pk}/close/"):
            body = client.post(path, {"date": ""}).content.decode()
            assert 'class="error-summary"' in body and 'href="#id_date"' in body, path

    def test_an_unsent_form_has_none(self, as_user, case, alice):
        body = as_user(alice).get("/cases/new/").content.decode()
        assert "error-summary" not in body


class TestInclusionChecklist:
    @pytest.fixture
    def criteria(self, organisation, ada):
        return [
            services.add_criterion(
                organisation,
                by=ada,
                text="At risk of detention, in detention, or recently released",
                established_by=EstablishedBy.DETENTION,
            ),
            services.add_criterion(
                organisation,
                by=ada,
                text="Consents to case management",
                established_by=EstablishedBy.CONSENT,
            ),
            services.add_criterion(
                organisation,
                by=ada,
                text="Risk of detention",
                established_by=EstablishedBy.DETENTION_RISK,
            ),
            services.add_criterion(organisation, by=ada, text="We can offer the support needed"),
        ]

    def _screened(self, case, alice, risk="high"):
        to_screening(case, alice)
        services.save_screening(
            case,
            by=alice,
            data={"date": days_ago(1), "detention_risk": risk, "intervention_rating": "low"},
            expected_version=None,
        )
        return case

    def test_it_reads_what_referral_first_meeting_and_screening_established(
        self, case, alice, criteria
    ):
        self._screened(case, alice, risk="low")
        checks = check_criteria(criteria, Records.of(case))
        assert [check.established for check in checks] == [True, True, False, False]
        assert [bool(check.finding) for check in checks] == [True, True, True, False]
        assert checks[0].finding.found == "Detention at referral: Recently released from detention"
        assert checks[2].finding.found == "Risk of detention: Low"

    def test_nothing_is_established_before_the_record_exists(self, case, criteria):
        checks = check_criteria(criteria, Records.of(case))
        assert [check.finding is None for check in checks] == [False, True, True, True]

    def test_the_checklist_costs_the_same_queries_however_many_criteria(
        self, as_user, case, alice, ada, criteria
    ):
        self._screened(case, alice)
        client = as_user(alice)
        with CaptureQueriesContext(connection) as four:
            client.get(f"/cases/{case.pk}/inclusion/")
        for n in range(4):
            services.add_criterion(
                case.organisation, by=ada, text=f"More {n}", established_by="vulnerability"
            )
        with CaptureQueriesContext(connection) as eight:
            body = client.get(f"/cases/{case.pk}/inclusion/").content.decode()
        assert body.count('name="criteria_met"') == 8
        assert len(eight) == len(four)

    def test_the_form_ticks_what_was_established_and_says_what_was_found(
        self, as_user, case, alice, criteria
    ):
        self._screened(case, alice)
        body = as_user(alice).get(f"/cases/{case.pk}/inclusion/").content.decode()
        ticked = re.findall(
            r'<input type="checkbox" name="criteria_met" value="([^"]+)"[^>]*checked', body
        )
        assert ticked == [str(c.pk) for c in criteria[:3]]
        assert "Recorded: Risk of detention: High, which meets it" in body
        assert "Recorded: Detention at referral: Recently released from detention" in body

    def test_proposing_inclusion_with_a_criterion_unmet_needs_a_reason(self, case, alice, criteria):
        self._screened(case, alice)
        met = [c.pk for c in criteria[:2]]
        with pytest.raises(ValidationError) as refused:
            services.propose_inclusion(
                case, by=alice, include=True, date=days_ago(1), criteria_met=met, reason=" "
            )
        assert refused.value.message_dict["reason"] == [
            "2 criteria are not met: say why you propose inclusion all the same."
        ]
        decision = services.propose_inclusion(
            case, by=alice, include=True, date=days_ago(1), criteria_met=met, reason="Family here"
        )
        assert str(decision.criteria_met()) == "2 of 4 criteria met"
        assert decision.criteria_met().met == 2 and not decision.criteria_met().all_met
        assert [item["established"] for item in decision.criteria] == [True, True, True, False]

    def test_the_page_asks_for_the_reason_next_to_the_field(self, as_user, case, alice, criteria):
        self._screened(case, alice)
        response = as_user(alice).post(
            f"/cases/{case.pk}/inclusion/",
            {"include": "yes", "date": days_ago(1).isoformat(), "criteria_met": [criteria[0].pk]},
        )
        body = response.content.decode()
        assert response.status_code == 200 and not case.inclusion_decisions.exists()
        assert 'href="#id_reason"' in body and "3 criteria are not met" in body

    def test_every_criterion_met_needs_no_reason(self, case, alice, criteria):
        self._screened(case, alice)
        decision = services.propose_inclusion(
            case,
            by=alice,
            include=True,
            date=days_ago(1),
            criteria_met=[c.pk for c in criteria],
            reason="",
        )
        assert str(decision.criteria_met()) == "4 of 4 criteria met"

    def test_the_supervisor_sees_how_many_criteria_were_met(
        self, as_user, case, alice, bob, criteria
    ):
        self._screened(case, alice)
        decision = services.propose_inclusion(
            case,
            by=alice,
            include=True,
            date=days_ago(1),
            criteria_met=[criteria[0].pk, criteria[3].pk],
            reason="We know the family",
        )
        body = as_user(bob).get(f"/cases/decisions/{decision.pk}/").content.decode()
        assert "2 of 4 criteria met" in body and "We know the family" in body
        assert "as recorded at referral, first meeting or screening" in body

    def test_a_decision_without_a_checklist_says_nothing(self, case, alice):
        decision = services.propose_inclusion(
            case, by=alice, include=False, date=days_ago(1), criteria_met=[], reason="Moved"
        )
        assert not decision.criteria_met() and decision.criteria_met().total == 0

    def test_the_admin_links_a_criterion_to_a_recorded_fact(self, as_user, ada, organisation):
        client = as_user(ada)
        client.post(
            "/cases/eligibility/", {"text": "Consents", "established_by": EstablishedBy.CONSENT}
        )
        criterion = organisation.eligibility_criteria.get()
        assert criterion.established_by == "consent"
        body = client.get("/cases/eligibility/").content.decode()
        assert "established by: Consent to case management given at the first meeting" in body
        client.post(
            "/cases/eligibility/",
            {"edit": criterion.pk, "edit-established_by": "", "edit-version": criterion.version},
        )
        criterion.refresh_from_db()
        assert criterion.established_by == ""

    def test_a_fact_not_offered_is_refused(self, organisation, ada):
        with pytest.raises(ValidationError):
            services.add_criterion(organisation, by=ada, text="x", established_by="anything")


class TestAssessment:
    def test_it_shows_the_previous_ratings_and_what_screening_found(
        self, as_user, case, alice, bob
    ):
        case, _plan = to_active(case, alice, bob)
        services.record_assessment(
            case,
            by=alice,
            data={
                "date": days_ago(20),
                "informed_decisions": 4,
                "engage_procedures": 5,
                "wellbeing": 3,
            },
        )
        body = as_user(alice).get(f"/cases/{case.pk}/assessments/new/").content.decode()
        aside = re.search(r"<aside.*?</aside>", body, re.S).group(0)
        rows = re.findall(r"<tr><th scope=\"row\">[^<]+</th>((?:<td>\d</td>)+)</tr>", aside)
        assert rows == ["<td>4</td><td>5</td><td>3</td>", "<td>2</td><td>3</td><td>2</td>"]
        assert "Health and welfare" in aside and "Needs follow-up" in aside
        # The aside comes before the form, so it is above it on a phone.
        assert body.index("<aside") < body.index('<form method="post" novalidate>')

    def test_the_page_costs_the_same_queries_however_many_assessments(
        self, as_user, case, alice, bob
    ):
        case, _plan = to_active(case, alice, bob)
        client = as_user(alice)
        path = f"/cases/{case.pk}/assessments/new/"
        with CaptureQueriesContext(connection) as one:
            client.get(path)
        for n in range(4):
            services.record_assessment(
                case,
                by=alice,
                data={"date": days_ago(10 + n), **dict.fromkeys(RATING_NAMES, 3)},
            )
        with CaptureQueriesContext(connection) as five:
            body = client.get(path).content.decode()
        assert body.count('<th scope="row">') == 5
        assert len(five) == len(one)

    def test_each_rating_question_is_the_legend_of_its_radio_group(self, as_user, case, alice, bob):
        case = to_included(case, alice, bob)
        body = as_user(alice).get(f"/cases/{case.pk}/assessments/new/").content.decode()
        for question in (
            "Ability to participate in informed decision making",
            "Ability to engage with immigration procedures",
            "Coping and well-being",
        ):
            group = re.search(rf"<fieldset [^>]*>\s*<legend>{question}.*?</fieldset>", body, re.S)
            assert group, question
            assert len(re.findall(r'type="radio"', group.group(0))) == 5
        assert '<label for=""' not in body

    def test_the_first_assessment_says_there_is_nothing_before(self, as_user, case, alice, bob):
        case = to_included(case, alice, bob)
        body = as_user(alice).get(f"/cases/{case.pk}/assessments/new/").content.decode()
        assert "None yet: this is the first assessment." in body


class TestClosure:
    @pytest.fixture
    def active(self, case, alice, bob):
        case, _plan = to_active(case, alice, bob)
        return case

    def _close(self, case, alice, **data):
        return services.request_closure(
            case, by=alice, data={"date": days_ago(1), "note": "", **data}
        )

    def test_the_factors_are_kept_only_for_a_disengagement(self, active, alice):
        closure = self._close(
            active,
            alice,
            reason="transferred",
            disengagement_factors=["fear", "other"],
            disengagement_other="Something",
        )
        assert closure.disengagement_factors == [] and closure.disengagement_other == ""

    def test_a_disengagement_still_needs_its_factors(self, active, alice):
        with pytest.raises(ValidationError):
            self._close(active, alice, reason="absconded", disengagement_factors=[])
        closure = self._close(active, alice, reason="absconded", disengagement_factors=["fear"])
        assert closure.disengagement_factors == ["fear"]

    def test_the_form_shows_the_factors_for_a_disengagement_only(self, as_user, active, alice):
        body = as_user(alice).get(f"/cases/{active.pk}/close/").content.decode()
        part = re.search(
            r'<div class="depends" data-shown-for="([^"]+)">(.*?)</div>\s*<div', body, re.S
        )
        assert part.group(1) == "reason: disengaged absconded"
        assert 'name="disengagement_factors"' in part.group(2)
        assert "Only for a client who disengaged or absconded" in part.group(2)

    def test_the_button_says_send_for_approval(self, as_user, active, alice):
        body = as_user(alice).get(f"/cases/{active.pk}/close/").content.decode()
        assert '<button type="submit" class="primary">Send for approval</button>' in body

    def test_it_points_out_open_actions_and_a_missing_final_assessment(
        self, as_user, active, alice
    ):
        warnings = closure_warnings(active, services.today())
        assert [w.kind for w in warnings] == ["open_actions", "final_assessment"]
        assert warnings[0].message.startswith("1 plan action is still open")
        assert [a.description for a in warnings[0].actions] == ["See a lawyer"]
        assert "The latest assessment is from" in warnings[1].message
        assert "removed" in warnings[1].not_for_reasons and "resolved" not in (
            warnings[1].not_for_reasons
        )
        body = as_user(alice).get(f"/cases/{active.pk}/close/").content.decode()
        assert "Before you send" in body and "See a lawyer" in body
        assert 'data-hidden-for="reason: disengaged absconded removed detained deceased"' in body

    def test_the_warnings_do_not_block_sending(self, as_user, active, alice):
        response = as_user(alice).post(
            f"/cases/{active.pk}/close/",
            {
                "date": days_ago(1).isoformat(),
                "reason": "transferred",
                "disengagement_factors": ["fear"],
            },
        )
        assert response.status_code == 302, response.content.decode()
        closure = active.closures.get()
        assert closure.reason == "transferred" and closure.disengagement_factors == []

    def test_a_recent_second_assessment_and_no_open_action_leave_nothing_to_say(
        self, active, alice
    ):
        services.record_assessment(
            active,
            by=alice,
            data={
                "date": days_ago(3),
                "informed_decisions": 3,
                "engage_procedures": 3,
                "wellbeing": 3,
            },
        )
        for action in active.plans.get().goals.get().actions.all():
            services.set_action_status(
                action, by=alice, status="done", expected_version=action.version
            )
        assert closure_warnings(active, services.today()) == []

    def test_only_the_first_assessment_is_pointed_out(self, case, alice, bob):
        case = to_included(case, alice, bob)
        services.record_assessment(
            case,
            by=alice,
            data={
                "date": days_ago(2),
                "informed_decisions": 3,
                "engage_procedures": 3,
                "wellbeing": 3,
            },
        )
        (warning,) = closure_warnings(case, services.today())
        assert warning.message.startswith("Only the first assessment was recorded")

    def test_the_supervisor_sees_what_concerns_the_reason_asked(self, as_user, active, alice, bob):
        closure = self._close(
            active, alice, reason="absconded", disengagement_factors=["contact_lost"]
        )
        kinds = [w.kind for w in closure_warnings(active, services.today(), closure.reason)]
        assert kinds == ["open_actions"]  # an absconded client cannot be assessed
        body = as_user(bob).get(f"/cases/closures/{closure.pk}/").content.decode()
        assert "Still undone" in body and "See a lawyer" in body
        assert "final assessment" not in body

    def test_planned_appointments_are_pointed_out_as_cancelled_by_the_closure(
        self, as_user, active, alice, bob
    ):
        """Approving a closure cancels the case's planned appointments: today's meeting left
        the agenda without a word to whoever wrote or approved the closure."""
        for days in (5, 0):
            services.plan_appointment(
                active, by=alice, data={"date": days_ago(-days), "kind": "meeting"}
            )
        kinds = [w.kind for w in closure_warnings(active, services.today())]
        assert kinds == ["open_actions", "appointments", "final_assessment"]
        (said,) = [w.message for w in closure_warnings(active, services.today())
                   if w.kind == "appointments"]  # fmt: skip
        today = formats.date_format(services.today(), "DATE_FORMAT")
        assert said == (
            f"2 appointments are planned, the first on {today}: approving the closure cancels "
            "them. Tell the client."
        )
        closure = self._close(active, alice, reason="absconded", disengagement_factors=["fear"])
        body = as_user(bob).get(f"/cases/closures/{closure.pk}/").content.decode()
        assert "approving the closure cancels them. Tell the client." in body

    def test_no_assessment_is_pointed_out(self, case, alice, bob):
        case = to_included(case, alice, bob)
        (warning,) = closure_warnings(case, services.today())
        assert warning.message.startswith("No assessment was recorded")


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        ("contacts/new/", {"note": "Zzkept note"}),  # no kind of contact
        ("assessments/new/", {"trigger": "scheduled"}),  # no ratings
        ("close/", {"note": "Zzkept note"}),  # no reason
    ],
    ids=["contact", "assessment", "closure"],
)
def test_a_date_in_the_future_is_said_with_the_forms_other_errors(
    as_user, organisation, alice, bob, path, sent
):
    """A form sent with a day in the future and a field left empty told of the date only once
    the field was mended: the service checked it after the form was valid."""
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    tomorrow = days_ago(-2).isoformat()
    page = as_user(alice).post(f"/cases/{case.pk}/{path}", {"date": tomorrow, **sent})
    text = page.content.decode()
    assert "This date is in the future." in text
    assert "This field is required." in text


def test_a_date_before_the_referral_names_the_referral_day_as_the_reader_writes_it(
    organisation, alice
):
    case = CaseFactory(
        organisation=organisation, case_manager=alice, referral_date=datetime.date(2023, 7, 28)
    )
    with pytest.raises(ValidationError) as refused:
        services.check_date(case, datetime.date(2023, 1, 1))
    assert refused.value.message_dict["date"] == [
        "This date is before the referral (28 July 2023)."
    ]


def test_a_phone_number_is_asked_with_the_phones_keyboard_of_digits(as_user, organisation, alice):
    page = as_user(alice).get("/cases/new/").content.decode()
    phone = re.search(r'<input[^>]*name="person-phone"[^>]*>', page).group(0)
    assert 'type="tel"' in phone and 'autocomplete="tel"' in phone
