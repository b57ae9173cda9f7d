"""The organisation's own fields on each form of the process, filled through the pages."""

import re

import pytest

from engage.cases.factories import CaseFactory, days_ago, to_active, to_included, to_screening
from engage.cases.models import Assessment, Case, Closure, Contact, FirstMeeting, Goal, Screening
from engage.custom import services
from engage.custom.models import CustomValue
from engage.directory.factories import ServiceFactory
from tests.custom.helpers import answers, define_all_types, expected, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(organisation):
    return ServiceFactory(organisation=organisation, name="Red Cross shelter")


def _referral(city, alice):
    return {
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


def test_it_fills_every_type_on_the_referral(as_user, alice, ada, organisation, service):
    define_all_types(organisation, ada, "referral")
    client = as_user(alice)
    page = client.get("/cases/new/").content.decode()
    assert 'name="referral-custom_own_short_text"' in page
    data = _referral(organisation.cities.get(), alice) | answers(service, "referral-")
    response = client.post("/cases/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get()
    assert stored(case, "referral", case.pk) == expected(service)


def _errors(response):
    return re.findall(
        r'<ul class="errorlist"[^>]*>.*?</ul>|<p class="notice[^>]*>.*?</p>',
        response.content.decode(),
        re.S,
    )


def _meeting():
    return {
        "date": days_ago(1).isoformat(),
        "programme_explained": "on",
        "independence_explained": "on",
        "data_protection_explained": "on",
        "consent_given": "on",
        "declaration_signed": "on",
        "consent_method": "written",
    }


def test_it_fills_every_type_on_the_first_meeting(as_user, alice, ada, organisation, service):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    define_all_types(organisation, ada, "first_meeting")
    response = as_user(alice).post(
        f"/cases/{case.pk}/first-meeting/", _meeting() | answers(service)
    )
    assert response.status_code == 302
    meeting = FirstMeeting.objects.get(case=case)
    assert stored(case, "first_meeting", meeting.pk) == expected(service)


def test_it_fills_and_shows_again_every_type_on_the_screening(
    as_user, alice, ada, organisation, service
):
    case = to_screening(CaseFactory(organisation=organisation, case_manager=alice), alice)
    define_all_types(organisation, ada, "screening")
    data = {
        "date": days_ago(1).isoformat(),
        "detention_risk": "high",
        "intervention_rating": "medium",
    }
    client = as_user(alice)
    response = client.post(f"/cases/{case.pk}/screening/", data | answers(service))
    assert response.status_code == 302, _errors(response)
    screening = Screening.objects.get(case=case)
    assert stored(case, "screening", screening.pk) == expected(service)
    # Opened again, the screening shows what was given.
    page = client.get(f"/cases/{case.pk}/screening/").content.decode()
    assert "Zzshort Pournara" in page
    assert re.search(r'value="medium"[^>]*checked', page)


def test_it_fills_every_type_on_the_assessment(as_user, alice, bob, ada, organisation, service):
    case = to_included(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    define_all_types(organisation, ada, "assessment")
    data = {
        "date": days_ago(1).isoformat(),
        "trigger": "scheduled",
        "informed_decisions": 2,
        "engage_procedures": 3,
        "wellbeing": 2,
    }
    response = as_user(alice).post(f"/cases/{case.pk}/assessments/new/", data | answers(service))
    assert response.status_code == 302, _errors(response)
    assessment = Assessment.objects.get(case=case)
    assert stored(case, "assessment", assessment.pk) == expected(service)


def test_it_fills_every_type_on_a_contact_and_a_goal(
    as_user, alice, bob, ada, organisation, service
):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    define_all_types(organisation, ada, "contact")
    define_all_types(organisation, ada, "goal")
    client = as_user(alice)
    assert 'name="custom_own_yes_no"' in client.get(f"/cases/{case.pk}/").content.decode()
    contact = {"date": days_ago(0).isoformat(), "type": "phone", "engagement_level": "active"}
    response = client.post(f"/cases/{case.pk}/contacts/new/", contact | answers(service))
    assert response.status_code == 302, _errors(response)
    logged = Contact.objects.get(case=case)
    assert stored(case, "contact", logged.pk) == expected(service)


def test_it_fills_every_type_on_a_goal(as_user, alice, bob, ada, organisation, service):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    from engage.cases import services as case_services

    draft = case_services.create_plan(case, by=alice, person=case.person)
    define_all_types(organisation, ada, "goal")
    client = as_user(alice)
    assert 'name="custom_own_choices"' in client.get(f"/cases/plans/{draft.pk}/").content.decode()
    goal = {"area": "health", "description": "See a doctor"}
    response = client.post(f"/cases/plans/{draft.pk}/goals/", goal | answers(service))
    assert response.status_code == 302, _errors(response)
    added = Goal.objects.get(plan=draft)
    assert stored(case, "goal", added.pk) == expected(service)


def test_it_fills_every_type_on_the_closure(as_user, alice, bob, ada, organisation, service):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    define_all_types(organisation, ada, "closure")
    data = {
        "date": days_ago(0).isoformat(),
        "reason": "resolved",
        "outcome": "protection",
        "outcome_permanence": "permanent",
    }
    response = as_user(alice).post(f"/cases/{case.pk}/close/", data | answers(service))
    assert response.status_code == 302, _errors(response)
    closure = Closure.objects.get(case=case)
    assert stored(case, "closure", closure.pk) == expected(service)


def test_errors_show_next_to_the_field_like_a_built_in_one(as_user, alice, ada, organisation):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    services.define_field(
        organisation,
        by=ada,
        form="first_meeting",
        type="number",
        label="Second risk score",
        key="risk2",
        required=True,
        min_value=1,
        max_value=5,
    )
    client = as_user(alice)
    page = client.post(f"/cases/{case.pk}/first-meeting/", _meeting()).content.decode()
    assert 'id="id_custom_risk2_error"' in page
    assert "This field is required." in page
    page = client.post(
        f"/cases/{case.pk}/first-meeting/", _meeting() | {"custom_risk2": "9"}
    ).content.decode()
    assert "Ensure this value is less than or equal to 5" in page
    # The error summary at the top links to it as to any other field.
    assert 'href="#id_custom_risk2"' in page
    assert not FirstMeeting.objects.exists()


def test_a_hidden_conditional_field_is_neither_required_nor_saved(
    as_user, alice, ada, organisation
):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    ties = services.define_field(
        organisation, by=ada, form="first_meeting", type="yes_no", label="Family here", key="family"
    )
    services.define_field(
        organisation,
        by=ada,
        form="first_meeting",
        type="short_text",
        label="Where",
        key="where",
        required=True,
        condition_field=ties,
        condition_value="yes",
    )
    client = as_user(alice)
    page = client.get(f"/cases/{case.pk}/first-meeting/").content.decode()
    assert 'data-custom-when="custom_family"' in page
    response = client.post(
        f"/cases/{case.pk}/first-meeting/",
        _meeting() | {"custom_family": "no", "custom_where": "Zzhidden"},
    )
    assert response.status_code == 302
    assert [value.data for value in CustomValue.objects.all()] == [False]


def test_a_shown_conditional_field_is_required(as_user, alice, ada, organisation):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    ties = services.define_field(
        organisation, by=ada, form="first_meeting", type="yes_no", label="Family here", key="family"
    )
    services.define_field(
        organisation,
        by=ada,
        form="first_meeting",
        type="short_text",
        label="Where",
        key="where",
        required=True,
        condition_field=ties,
        condition_value="yes",
    )
    page = (
        as_user(alice)
        .post(f"/cases/{case.pk}/first-meeting/", _meeting() | {"custom_family": "yes"})
        .content.decode()
    )
    assert 'id="id_custom_where_error"' in page


def test_a_field_is_placed_after_the_built_in_field_it_names(as_user, alice, ada, organisation):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    services.define_field(
        organisation,
        by=ada,
        form="first_meeting",
        type="short_text",
        label="Reception centre",
        after="date",
    )
    page = as_user(alice).get(f"/cases/{case.pk}/first-meeting/").content.decode()
    assert (
        page.index('name="date"')
        < page.index("custom_reception_centre")
        < page.index('name="programme_explained"')
    )


def test_a_retired_field_is_not_on_the_form_and_keeps_its_values(as_user, alice, ada, organisation):
    case = to_screening(CaseFactory(organisation=organisation, case_manager=alice), alice)
    field = services.define_field(
        organisation, by=ada, form="first_meeting", type="short_text", label="Old question"
    )
    meeting = FirstMeeting.objects.get(case=case)
    services.save_values(case, "first_meeting", meeting.pk, {field.key: "kept"}, by=alice)
    services.retire_field(field, by=ada)
    other = CaseFactory(organisation=organisation, case_manager=alice)
    page = as_user(alice).get(f"/cases/{other.pk}/first-meeting/").content.decode()
    assert "custom_old_question" not in page
    assert stored(case, "first_meeting", meeting.pk) == {"old_question": "kept"}


def test_a_sensitive_field_is_only_for_the_case_manager_and_her_supervisor(
    client, alice, bob, ada, organisation
):
    from engage.accounts.factories import UserFactory

    services.define_field(
        organisation,
        by=ada,
        form="first_meeting",
        type="short_text",
        label="Trauma",
        sensitive=True,
    )
    case = CaseFactory(organisation=organisation, case_manager=alice)
    colleague = UserFactory(organisation=organisation, username="carol")
    assert services.sees_sensitive(alice, case)
    assert services.sees_sensitive(bob, case)
    assert not services.sees_sensitive(colleague, case)
    assert not services.sees_sensitive(ada, case)
    assert services.form_fields(organisation, "first_meeting", for_user=colleague, case=case) == []


def test_a_form_with_20_own_fields_takes_a_fixed_number_of_queries(
    as_user, alice, ada, organisation, service
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = to_screening(CaseFactory(organisation=organisation, case_manager=alice), alice)
    client = as_user(alice)
    url = f"/cases/{case.pk}/screening/"
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries.captured_queries)

    with_none = count()
    kinds = ("short_text", "yes_no", "choice", "choices", "number", "date", "service", "long_text")
    for n in range(20):
        kind = kinds[n % len(kinds)]
        services.define_field(
            organisation,
            by=ada,
            form="screening",
            type=kind,
            label=f"Question {n}",
            sensitive=n == 0,
            options=["One", "Two"] if kind in ("choice", "choices") else (),
        )
    with_twenty = count()
    # The fields, their options, the directory once, the team once (for a sensitive field).
    assert with_twenty <= with_none + 4


def test_it_keeps_the_answers_of_a_field_whose_condition_was_retired_when_the_record_is_saved(
    as_user, alice, ada, organisation
):
    """The answer to a field shown only after another's answer is evidence on the record: an
    admin retiring the other field (its own answers kept) left the first on the form with a
    condition nobody could meet, so saving the record again deleted its answer."""
    from tests.custom.helpers import define_asked_when

    case = to_screening(CaseFactory(organisation=organisation, case_manager=alice), alice)
    asked, _shown = define_asked_when(organisation, ada, "screening")
    data = {"date": days_ago(1).isoformat(), "detention_risk": "high"}
    client = as_user(alice)
    sent = {**data, "intervention_rating": "medium", "custom_sleeping_rough": "yes"}
    response = client.post(
        f"/cases/{case.pk}/screening/", sent | {"custom_where_they_sleep": "Zzunder the bridge"}
    )
    assert response.status_code == 302, _errors(response)
    screening = Screening.objects.get(case=case)
    services.retire_field(asked, by=ada)

    page = client.get(f"/cases/{case.pk}/screening/").content.decode()
    assert "custom_where_they_sleep" not in page  # a question nobody can be asked any more
    response = client.post(
        f"/cases/{case.pk}/screening/",
        {**data, "intervention_rating": "low", "version": Screening.objects.get().version},
    )
    assert response.status_code == 302, _errors(response)
    assert Screening.objects.get(pk=screening.pk).intervention_rating == "low"
    assert stored(case, "screening", screening.pk) == {
        "sleeping_rough": True,
        "where_they_sleep": "Zzunder the bridge",
    }
