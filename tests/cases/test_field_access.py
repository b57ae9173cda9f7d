"""Field-level access (R04): what each role sees of a case, and fields no form can set."""

import pytest

from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Contact

pytestmark = pytest.mark.django_db

# What each role may read on the case page: the checked-in matrix.
SENTINELS = {
    "note": "Sentinel contact note",
    "vulnerability": "Health and welfare",
    "migration status": "Refused asylum seeker",
    "rating": "Well-being 2/5",
}
MATRIX = {
    "alice": {"note", "vulnerability", "migration status", "rating"},
    "bob": {"note", "vulnerability", "migration status", "rating"},
    "ada": set(),
}


@pytest.fixture
def case(organisation, alice, bob):
    case = CaseFactory(
        organisation=organisation, case_manager=alice, migration_status="refused_asylum_seeker"
    )
    case, _plan = to_active(case, alice, bob)
    services.log_contact(
        case, by=alice, data={"date": days_ago(1), "type": "phone", "note": SENTINELS["note"]}
    )
    return case


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_each_role_sees_exactly_its_fields_of_a_case(as_user, case, who, request):
    body = as_user(request.getfixturevalue(who)).get(f"/cases/{case.pk}/").content.decode()
    seen = {name for name, text in SENTINELS.items() if text in body}
    assert seen == MATRIX[who]


def test_an_org_admin_cannot_open_a_case_plan(as_user, case, ada):
    plan = case.plans.get()
    assert as_user(ada).get(f"/cases/plans/{plan.pk}/").status_code == 404


def test_forms_ignore_fields_they_do_not_offer(as_user, case, alice, other_organisation, charlie):
    response = as_user(alice).post(
        f"/cases/{case.pk}/contacts/new/",
        {
            "date": days_ago(0).isoformat(),
            "type": "phone",
            "note": "Mass assignment try",
            "case": CaseFactory(organisation=other_organisation, case_manager=charlie).pk,
            "recorded_by": charlie.pk,
            "organisation": other_organisation.pk,
        },
    )
    assert response.status_code in (200, 302)
    contact = Contact.objects.order_by("-created_at").first()  # notes are encrypted
    assert contact.note == "Mass assignment try"
    assert contact.case_id == case.pk and contact.recorded_by_id == alice.pk


def test_the_identity_form_ignores_the_organisation_and_version(
    as_user, case, alice, other_organisation
):
    person = case.person
    as_user(alice).post(
        f"/privacy/cases/{case.pk}/rectify/",
        {
            "given_name": "Renamed",
            "family_name": person.family_name,
            "nationality": person.nationality.code,
            "sex": person.sex,
            "version": person.version,
            "organisation": other_organisation.pk,
            "erased_at": "2020-01-01T00:00:00Z",
            "corrected_fields": '["x"]',
        },
    )
    person.refresh_from_db()
    assert person.given_name == "Renamed" and person.organisation_id == case.organisation_id
    assert person.erased_at is None and person.corrected_fields == ["given_name"]
