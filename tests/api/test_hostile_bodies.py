"""Bodies no tool of ours would send, from a caller with a valid token: each is refused with
400 and a message, never a server error, and nothing is written."""

import pytest

from engage.cases.factories import CaseFactory, days_ago, to_screening
from engage.cases.models import Case
from engage.custom.models import CustomValue
from tests.custom.people import fields  # noqa: F401 (a fixture: the pilot's own questions)

pytestmark = pytest.mark.django_db


@pytest.fixture
def screened_case(organisation, alice):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    to_screening(case, alice)
    return case


@pytest.mark.usefixtures("fields")
@pytest.mark.parametrize("answer", [["2026-03-01"], {"date": "2026-03-01"}, [[1]], {}])
def test_it_refuses_an_answer_of_the_wrong_shape_as_invalid(api, alice, answer):
    """Adversarial review (December 2026): a list or an object sent for a date question of the
    organisation's own was a server error, its traceback in the log; a text question took
    `[1]` as its text."""
    client = api(alice)
    body = {
        "client": {"given_name": "Nour"},
        "referral_source": "ngo",
        "detention_at_referral": "released",
        "migration_status": "asylum_seeker",
        "legal_basis": "consent",
        "custom": {"arrival": answer, "housing": "friends"},
    }
    response = client.post("/api/v1/cases/", body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {"custom.arrival": ["Enter a valid value."]}
    assert not Case.objects.exists() and not CustomValue.objects.exists()


@pytest.mark.usefixtures("fields")
def test_it_refuses_a_list_for_a_text_or_one_choice_answer(api, alice, screened_case):
    url = f"/api/v1/cases/{screened_case.pk}/contacts/"
    contact = {"date": days_ago(1).isoformat(), "type": "phone"}
    for key, answer in (("secret", [1]), ("risk", ["high"]), ("followup", [True])):
        response = api(alice).post(url, {**contact, "custom": {key: answer}})
        assert response.status_code == 400, (key, response.content)
        assert response.json()["error"]["fields"] == {f"custom.{key}": ["Enter a valid value."]}
    assert not screened_case.contacts.exists() and not CustomValue.objects.exists()
