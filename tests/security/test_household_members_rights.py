"""A household member who has a case of their own in another team, reached through the
client's case: the copy of their data and their erasure follow the cases they reach, not the
case the request was recorded on (December 2026 review, docs/security.md items 29 and 30).

Alice records the partner's request on her own client's case (the web form offers every member
of the household). The copy she makes holds what her client's case holds about the partner, not
Dan's case of the partner; Bob, who leads Alice's team, does not erase the partner: Sue, who
leads Dan's, does.
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from engage.cases import services
from engage.cases.factories import days_ago, to_active
from engage.cases.models import Case, Contact, Person
from engage.custom import services as custom
from engage.privacy import access
from engage.privacy.models import SubjectRequest
from engage.privacy.services import erase_on_request, hand_over_access
from engage.sharing.models import DataRequest
from tests.cases.conftest import partner  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

SECRET_ANSWER = "Sentinelsensitiveanswer"


@pytest.fixture
def household(partner, alice, ada):  # noqa: F811
    """Dan's case of the partner with a sensitive note and a sensitive answer; the partner a
    member of Alice's client's household (as a registration with household members makes it)."""
    dan = partner.case_manager
    case, _plan = to_active(partner, dan, dan.team.leader)
    services.log_contact(
        case, by=dan, data={"date": days_ago(1), "type": "phone", "note": "Sentinelsensitive",
                            "sensitive": True},
    )  # fmt: skip
    custom.define_field(
        case.organisation, by=ada, form="referral", type="long_text", key="confided",
        label="Confided", sensitive=True,
    )  # fmt: skip
    custom.save_values(case, "referral", case.pk, {"confided": SECRET_ANSWER}, by=dan)
    own = Case.objects.get(household=case.household, case_manager=alice)
    Person.objects.filter(pk__in=[own.person_id, case.person_id]).update(household=case.household)
    return case, own


def test_a_copy_made_on_the_clients_case_leaves_out_the_members_own_case_of_another_team(
    household, alice, as_user
):
    partners_case, own = household
    client = as_user(alice)
    response = client.post(
        f"/privacy/cases/{own.pk}/requests/new/",
        {"person": partners_case.person_id, "kind": "access", "requested_on": days_ago(0),
         "identity_check": "passport"},
    )  # fmt: skip
    assert response.status_code == 302
    entry = SubjectRequest.objects.get(person=partners_case.person, case=own)
    copy = client.get(f"/privacy/subject-requests/{entry.pk}/export/json/")
    assert copy.status_code == 200
    body = copy.content.decode()
    assert partners_case.person.given_name in body  # the partner, as a member of the household
    assert "Sentinelsensitive" not in body and SECRET_ANSWER not in body
    assert partners_case.reference not in body
    text = access.as_json(hand_over_access(entry, by=alice))
    assert "Sentinelsensitive" not in text and SECRET_ANSWER not in text
    # Dan's copy of his own client holds his case, the sensitive note and answer included.
    dans = access.as_json(
        access.person_data(partners_case.person, for_user=partners_case.case_manager)
    )
    assert "Sentinelsensitive" in dans and SECRET_ANSWER in dans


def _erasure(case, person, *, by):
    return SubjectRequest.objects.create(
        person=person, case=case, kind="erasure", requested_on=days_ago(0),
        identity_check="passport", recorded_by=by,
    )  # fmt: skip


def test_the_supervisor_of_another_team_does_not_erase_a_member_who_has_a_case_there(
    household, alice, bob, as_user
):
    partners_case, own = household
    entry = _erasure(own, partners_case.person, by=alice)
    with pytest.raises(ValidationError):
        erase_on_request(entry, by=bob)
    client = as_user(bob)  # signed in just now: the password is not asked again
    page = client.get(f"/privacy/cases/{own.pk}/").content.decode()
    assert f"/privacy/subject-requests/{entry.pk}/erase/" not in page
    assert client.post(f"/privacy/subject-requests/{entry.pk}/erase/").status_code == 302
    partners_case.person.refresh_from_db()
    assert partners_case.person.erased_at is None
    assert Contact.objects.get(case=partners_case, sensitive=True).note == "Sentinelsensitive"
    # Sue leads Dan's team: the request, on Alice's client's case, is hers to carry out.
    sue = as_user(partners_case.case_manager.team.leader)
    page = sue.get(f"/privacy/cases/{own.pk}/").content.decode()
    assert f"/privacy/subject-requests/{entry.pk}/erase/" in page
    assert sue.post(f"/privacy/subject-requests/{entry.pk}/erase/").status_code == 302
    partners_case.person.refresh_from_db()
    assert partners_case.person.erased_at is not None


def test_the_register_of_authority_requests_is_the_cases_own_teams(partner, bob, as_user):  # noqa: F811
    """Bob saw what an authority asked about the partner's case (Sue's team's), decided to
    disclose it, and registered a request against it by its reference."""
    sue = partner.case_manager.team.leader
    entry = DataRequest.objects.create(
        organisation=partner.organisation, case=partner, received_on=timezone.localdate(),
        requester="Municipal social office", requester_type="authority", legal_basis="x",
        data_requested="Sentinelasked home address", recorded_by=sue,
    )  # fmt: skip
    client = as_user(bob)
    assert partner.reference not in client.get("/sharing/requests/").content.decode()
    assert client.get(f"/sharing/requests/{entry.pk}/").status_code == 404
    decision = {"decision": "disclosed", "decision_note": "Given by phone",
                "decided_on": timezone.localdate().isoformat()}  # fmt: skip
    assert client.post(f"/sharing/requests/{entry.pk}/", decision).status_code == 404
    entry.refresh_from_db()
    assert entry.decision != "disclosed" and entry.decided_by is None
    new = client.post(
        "/sharing/requests/new/",
        {"received_on": timezone.localdate().isoformat(), "requester": "Court",
         "requester_type": "court", "legal_basis": "y", "data_requested": "z",
         "case_reference": partner.reference},
    )  # fmt: skip
    assert new.status_code == 200 and "No case of yours has this reference." in new.content.decode()
    assert not DataRequest.objects.filter(case=partner, recorded_by=bob).exists()
    # Sue, who leads Dan's team, reads and decides it.
    page = as_user(sue).get(f"/sharing/requests/{entry.pk}/")
    assert page.status_code == 200 and "Sentinelasked home address" in page.content.decode()
