"""A colleague who sees a case through a client's household records a liaison record or a
referral that discloses the case's data: both go through `sharing.request_share`, whose
`check_sharer` refuses (docs/security.md, item 31). The refusal is shown on the form (the reason
in the page) or as a 400 in the API, never a 500, and nothing is stored or sent."""

import pytest

from engage.cases.factories import days_ago, to_active
from engage.directory import services as directory
from engage.directory.models import Referral
from engage.liaison.models import LiaisonRecord
from engage.sharing import services as sharing
from engage.sharing.models import Recipient, RecipientType, Share
from tests.api.conftest import ApiClient, make_token
from tests.cases.conftest import partner  # noqa: F401 (a fixture)
from tests.directory.conftest import SHELTER

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(partner):  # noqa: F811
    dan = partner.case_manager
    case, _plan = to_active(partner, dan, dan.team.leader)
    return case


def _consent(case, recipient, purpose):
    return sharing.record_consent(
        case, by=case.case_manager,
        data={"person": case.person, "recipient": recipient, "purpose": purpose,
              "categories": ["identity", "contact"], "given_on": days_ago(10),
              "expires_on": days_ago(-180), "language": "Arabic", "through_interpreter": False},
    )  # fmt: skip


def test_a_liaison_record_disclosing_data_is_refused_on_the_form(active, alice, as_user):
    office = Recipient.objects.create(
        organisation=active.organisation, name="Migration office", type=RecipientType.AUTHORITY
    )
    _consent(active, office, "representation")
    response = as_user(alice).post(
        f"/liaison/cases/{active.pk}/new/",
        {"kind": "release", "date": days_ago(1).isoformat(), "authority": office.pk,
         "summary": "Release request", "disclosure": "share", "categories": ["identity"],
         "outcome": "pending"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "You see this case through a client" in response.content.decode()
    assert not LiaisonRecord.objects.exists() and not Share.objects.exists()


def test_a_referral_disclosing_data_is_refused_on_the_form_and_in_the_api(
    active, alice, bob, as_user
):
    shelter = directory.save_service(active.organisation, by=bob, data=dict(SHELTER))
    _consent(active, shelter.recipient, "referral")
    data = {"service": shelter.pk, "made_on": days_ago(1).isoformat(), "reason": "A bed",
            "disclosure": "share", "categories": ["identity"]}  # fmt: skip
    response = as_user(alice).post(f"/directory/cases/{active.pk}/refer/", data)
    assert response.status_code == 200
    assert "You see this case through a client" in response.content.decode()
    api = ApiClient(make_token(alice))
    answer = api.post(
        f"/api/v1/cases/{active.pk}/referrals/",
        {"service": str(shelter.pk), "made_on": days_ago(1).isoformat(),
         "categories": ["identity"]},
    )  # fmt: skip
    assert answer.status_code == 400, answer.content
    assert not Referral.objects.exists() and not Share.objects.exists()
