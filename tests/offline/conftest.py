"""The offline tests' people and device."""

import pytest

from engage.cases import services as cases
from engage.cases.factories import CaseFactory, to_active

NOTE = "Zzsentinelnote of an earlier contact"


@pytest.fixture
def active(organisation, alice, bob):
    case, _plan = to_active(
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name="Amira",
            person__family_name="Testova",
            person__phone="+359 000 111",
            person__address="1 Sample Street",
        ),
        alice,
        bob,
    )
    cases.log_contact(
        case, by=alice, data={"date": case.referral_date, "type": "phone", "note": NOTE}
    )
    return case


@pytest.fixture
def device(client, alice):
    """Alice signed in, with a registered device: returns the header the device sends."""
    client.force_login(alice)
    answer = client.post("/offline/key/", content_type="application/json", data={})
    assert answer.status_code == 201
    body = answer.json()
    return {"HTTP_X_ENGAGE_DEVICE": f"{body['device']}.{body['token']}"}
