"""Custom answers through the API: written and read under `custom`, checked like the web form,
described in the caller's schema, hidden when sensitive, out of reach of other organisations."""

import json

import pytest

from engage.cases import services as cases
from engage.cases.factories import days_ago, to_screening
from engage.cases.models import Case
from engage.custom.models import CustomValue
from engage.privacy.services import erase_person
from tests.custom.people import SECRET

pytestmark = pytest.mark.django_db

CONTACT = {"date": "", "type": "phone", "engagement_level": "active"}


def _referral(**custom):
    return {
        "client": {"given_name": "Nour"},
        "referral_source": "ngo",
        "detention_at_referral": "released",
        "migration_status": "asylum_seeker",
        "legal_basis": "consent",
        "custom": custom,
    }


def _contact(**custom):
    return {**CONTACT, "date": days_ago(1).isoformat(), "custom": custom}


@pytest.fixture
def open_case(case, alice, bob):
    to_screening(case, alice)
    return case


def test_it_fills_and_reads_answers_through_the_api(api, open_case, alice, fields):
    client = api(alice)
    url = f"/api/v1/cases/{open_case.pk}/contacts/"
    response = client.post(url, _contact(risk="high", followup=True, secret=SECRET))
    assert response.status_code == 201, response.content
    assert response.json()["custom"] == {"risk": "high", "followup": True, "secret": SECRET}
    contact_id = response.json()["id"]
    assert client.get(f"/api/v1/contacts/{contact_id}/").json()["custom"]["risk"] == "high"
    listed = client.get(url).json()["results"]
    assert listed[0]["custom"] == {"risk": "high", "followup": True, "secret": SECRET}
    stored = CustomValue.objects.get(field=fields["secret"])
    assert stored.record_id == contact_id and stored.label_at_entry == "What they confided"


def test_it_registers_a_referral_with_answers_and_changes_them(
    api,
    alice,
    fields,
):
    client = api(alice)
    custom = {"arrival": days_ago(30).isoformat(), "children": 2, "housing": "friends"}
    response = client.post("/api/v1/cases/", _referral(**custom))
    assert response.status_code == 201, response.content
    case_url = response["Location"]
    assert response.json()["custom"] == {
        "arrival": days_ago(30).isoformat(),
        "children": 2,
        "housing": "friends",
    }
    response = client.patch(
        case_url, {"custom": {"children": 3}}, headers={"If-Match": response["ETag"]}
    )
    assert response.status_code == 200, response.content
    # The answers not sent stay.
    assert client.get(case_url).json()["custom"] == {
        "arrival": days_ago(30).isoformat(),
        "children": 3,
        "housing": "friends",
    }


def test_a_change_of_the_answers_alone_moves_the_cases_etag(api, alice, fields):
    """Two clients read the case and change its answers from that read: the second is told its
    read is older (412) and its answer is not written (docs/security.md, item 48)."""
    client = api(alice)
    created = client.post("/api/v1/cases/", _referral(children=1, housing="friends"))
    url, read = created["Location"], created["ETag"]
    first = client.patch(url, {"custom": {"children": 2}}, headers={"If-Match": read})
    assert first.status_code == 200 and first["ETag"] != read
    second = client.patch(url, {"custom": {"children": 5}}, headers={"If-Match": read})
    assert second.status_code == 412
    now = client.get(url)
    assert now.json()["custom"]["children"] == 2 and now["ETag"] == first["ETag"]
    # With the outcome in the same change, the version moves once, checked once.
    both = client.patch(
        url, {"custom": {"children": 3}, "outcome": ""}, headers={"If-Match": first["ETag"]}
    )
    assert both.status_code in (200, 400), both.content


def test_it_takes_no_answers_on_an_erased_persons_case(api, alice, bob, fields):
    """docs/security.md, item 60: the referral's own answers, changed through the API (the one
    record of a case changed outside a step of the process), were still written after the
    person's erasure, out of reach of any erasure since a person erased once is not erased
    again; with a reassignment (a step left after erasure) too."""
    created = api(alice).post("/api/v1/cases/", _referral(children=1, housing="friends"))
    url = created["Location"]
    case = Case.objects.get(pk=created.json()["id"])
    erase_person(case.person, by=bob, reason="request")
    assert not CustomValue.objects.filter(case=case).exists()
    for client, change in (
        (api(alice), {"custom": {"children": 4, "housing": "street"}}),
        (api(bob), {"custom": {"children": 4, "housing": "street"}, "case_manager": str(bob.pk)}),
    ):
        response = client.patch(url, change, headers={"If-Match": client.get(url)["ETag"]})
        assert response.status_code == 400, response.content
        assert "can only be closed or reassigned" in response.content.decode()
    assert not CustomValue.objects.filter(case=case).exists()


def test_it_refuses_unknown_and_invalid_answers_naming_the_field(
    api,
    open_case,
    alice,
    fields,
):
    client = api(alice)
    url = f"/api/v1/cases/{open_case.pk}/contacts/"
    cases_before = open_case.contacts.count()
    response = client.post(url, _contact(nope="x"))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "custom.nope": ["There is no such field on this form."]
    }
    response = client.post(url, _contact(risk="extreme", followup="maybe"))
    assert response.status_code == 400
    problems = response.json()["error"]["fields"]
    # The web form's own messages.
    assert problems["custom.risk"] == [
        "Select a valid choice. extreme is not one of the available choices."
    ]
    assert "custom.followup" in problems
    assert open_case.contacts.count() == cases_before  # nothing written
    body = {
        "client": {"given_name": "Nour"},
        "referral_source": "ngo",
        "detention_at_referral": "released",
        "migration_status": "asylum_seeker",
        "legal_basis": "consent",
        "custom": {"children": 40},
    }
    response = client.post("/api/v1/cases/", body)
    assert response.status_code == 400
    problems = response.json()["error"]["fields"]
    assert problems["custom.children"] == ["Ensure this value is less than or equal to 20.00."]
    assert problems["custom.housing"] == ["This field is required."]
    assert not CustomValue.objects.exists()


def test_the_schema_lists_the_organisations_fields_with_their_types(
    api,
    alice,
    charlie,
    fields,
):
    headers = {"Accept": "application/vnd.oai.openapi+json"}
    schema = json.loads(api(alice).get("/api/v1/schema/", headers=headers).content)
    components = schema["components"]["schemas"]
    read = components["Contact"]["properties"]["custom"]
    assert read["type"] == "object"
    assert read["properties"]["risk"]["enum"] == ["low", "high"]
    assert read["properties"]["followup"]["type"] == "boolean"
    assert "Sensitive" in read["properties"]["secret"]["description"]
    written = components["ContactWriteRequest"]["properties"]["custom"]
    assert set(written["properties"]) == {"risk", "followup", "secret"}
    assert written["additionalProperties"] is False
    referral = components["CaseCreateRequest"]["properties"]["custom"]["properties"]
    assert referral["children"]["type"] == "number" and referral["children"]["maximum"] == 20
    assert referral["arrival"]["format"] == "date"
    # Another organisation's schema names none of these fields.
    theirs = json.loads(api(charlie).get("/api/v1/schema/", headers=headers).content)
    custom = theirs["components"]["schemas"]["Contact"]["properties"]["custom"]
    assert custom["properties"] == {}


def test_a_sensitive_answer_is_for_the_cases_own_case_manager_and_supervisor(
    api,
    open_case,
    alice,
    bob,
    ada,
    dora,
    fields,
):
    url = f"/api/v1/cases/{open_case.pk}/contacts/"
    assert api(alice).post(url, _contact(risk="low", secret=SECRET)).status_code == 201
    assert SECRET in api(bob).get(url).content.decode()  # the supervisor of Alice's team
    seen_by_dora = api(dora).get(url)
    assert seen_by_dora.status_code == 200
    assert seen_by_dora.json()["results"][0]["custom"] == {"risk": "low"}
    assert SECRET not in seen_by_dora.content.decode()
    response = api(dora).post(url, _contact(secret="Dora writes"))
    assert response.status_code == 400
    assert "custom.secret" in response.json()["error"]["fields"]
    # The organisation admin reads no answer at all on the case (as on its page).
    case_body = api(ada).get(f"/api/v1/cases/{open_case.pk}/").json()
    assert "custom" not in case_body


def test_another_organisation_can_neither_read_nor_write_answers(
    api,
    open_case,
    alice,
    charlie,
    olga,
    fields,
):
    url = f"/api/v1/cases/{open_case.pk}/contacts/"
    made = api(alice).post(url, _contact(risk="high", secret=SECRET)).json()
    for outsider in (charlie, olga):
        client = api(outsider)
        for path in (url, f"/api/v1/contacts/{made['id']}/", f"/api/v1/cases/{open_case.pk}/"):
            response = client.get(path)
            assert response.status_code == 404
            assert SECRET not in response.content.decode()
        assert client.post(url, _contact(risk="low")).status_code == 404
        response = client.patch(
            f"/api/v1/cases/{open_case.pk}/",
            {"custom": {"children": 1}},
            headers={"If-Match": '"v1"'},
        )
        assert response.status_code == 404
    # Charlie's own referral cannot carry Alice's organisation's fields.
    body = {
        "client": {"given_name": "Nour"},
        "referral_source": "ngo",
        "detention_at_referral": "released",
        "migration_status": "asylum_seeker",
        "legal_basis": "consent",
        "custom": {"housing": "street"},
    }
    response = api(charlie).post("/api/v1/cases/", body)
    assert response.status_code == 400
    assert "custom.housing" in response.json()["error"]["fields"]
    assert CustomValue.objects.filter(case__organisation=charlie.organisation).count() == 0
    assert cases.today()  # the services still answer for the case's own people
