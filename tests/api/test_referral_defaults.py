"""The API's side of forms that know what the system knows (issue 11 #6): a referral takes what
Engage knows when a field is left out, as the web form proposes it; nationality takes Stateless
(XXA) and Unknown (XXX); a closure keeps disengagement factors for a disengagement only."""

import datetime

import pytest
import time_machine
from django.utils import translation

from engage.accounts.factories import CityFactory
from engage.api.serializers import ClientSerializer
from engage.cases.models import Case

pytestmark = pytest.mark.django_db

FACTS = {
    "referral_source": "ngo",
    "detention_at_referral": "released",
    "migration_status": "irregular",
}


def _post(client, **fields):
    return client.post("/api/v1/cases/", {"client": {"given_name": "Nour"}, **FACTS, **fields})


def test_it_fills_in_what_the_organisation_knows(api, organisation, alice):
    organisation.default_legal_basis = "legitimate_interest"
    organisation.time_zone = "Pacific/Kiritimati"
    organisation.save()
    # 11:00 UTC on 1 March is 2 March in Kiribati.
    with time_machine.travel(datetime.datetime(2026, 3, 1, 11, tzinfo=datetime.UTC), tick=False):
        response = _post(api(alice))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["referral_date"] == "2026-03-02"
    assert body["legal_basis"] == "legitimate_interest" and body["city"] == "Sofia"
    assert body["purpose"] == "Case management in the community, as an alternative to detention"
    assert Case.objects.get().case_manager == alice


def test_what_is_sent_wins_over_the_defaults(api, organisation, alice):
    organisation.default_legal_basis = "legitimate_interest"
    organisation.save()
    response = _post(api(alice), legal_basis="consent", purpose="Case management")
    assert response.status_code == 201, response.content
    assert response.json()["legal_basis"] == "consent"
    assert response.json()["purpose"] == "Case management"


def test_without_a_usual_legal_basis_it_must_be_named(api, organisation, alice):
    response = _post(api(alice))
    assert response.status_code == 400
    assert "legal_basis" in response.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_with_several_cities_the_city_must_be_named(api, organisation, alice):
    organisation.default_legal_basis = "consent"
    organisation.save()
    CityFactory(organisation=organisation, name="Plovdiv")
    response = _post(api(alice))
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["city"] == [
        "Name the city: your organisation works in several."
    ]
    assert _post(api(alice), city="Plovdiv").status_code == 201


def test_a_supervisor_names_the_case_manager(api, organisation, bob, alice):
    organisation.default_legal_basis = "consent"
    organisation.save()
    response = _post(api(bob), case_manager=str(alice.pk))
    assert response.status_code == 201, response.content
    assert Case.objects.get().case_manager == alice


@pytest.mark.parametrize(("code", "name"), [("XXA", "Stateless"), ("XXX", "Unknown")])
def test_it_takes_and_gives_back_stateless_and_unknown(api, organisation, alice, code, name):
    organisation.default_legal_basis = "consent"
    organisation.save()
    client = api(alice)
    response = client.post(
        "/api/v1/cases/", {"client": {"given_name": "Nour", "nationality": code}, **FACTS}
    )
    assert response.status_code == 201, response.content
    person = Case.objects.get().person
    assert person.nationality.code == code and person.nationality.name == name
    assert client.get(f"/api/v1/clients/{person.pk}/").json()["nationality"] == code


def test_it_lists_the_nationalities_in_the_callers_language_from_one_shared_list():
    """Each serializer's nationality field offers the countries in the language of the call,
    from one list shared by all (not translated and sorted again for each call)."""
    first, second = (
        ClientSerializer().fields["nationality"],
        ClientSerializer().fields["nationality"],
    )
    assert first is not second and first.countries is second.countries
    with translation.override("fr"):
        assert ClientSerializer().fields["nationality"].choices["XXA"] == "Apatride"
    with translation.override("en"):
        assert ClientSerializer().fields["nationality"].choices["XXA"] == "Stateless"


def test_it_refuses_a_nationality_that_is_no_code(api, organisation, alice):
    organisation.default_legal_basis = "consent"
    organisation.save()
    response = api(alice).post(
        "/api/v1/cases/", {"client": {"given_name": "Nour", "nationality": "XXB"}, **FACTS}
    )
    assert response.status_code == 400


def test_a_closure_keeps_disengagement_factors_only_for_a_disengagement(api, active_case, alice):
    client = api(alice)
    path = f"/api/v1/cases/{active_case.pk}/closures/"
    refused = client.post(path, {"date": str(active_case.referral_date), "reason": "absconded"})
    assert refused.status_code == 400
    assert "disengagement_factors" in refused.json()["error"]["fields"]
    response = client.post(
        path,
        {
            "date": str(active_case.referral_date),
            "reason": "transferred",
            "disengagement_factors": ["fear"],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["disengagement_factors"] == []
