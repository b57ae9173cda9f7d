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


def _closure(**answers):
    return {"date": days_ago(1).isoformat(), "reason": "disengaged", **answers}


@pytest.mark.parametrize(
    "body",
    [
        _closure(disengagement_factors=["not_a_factor"] * 1001),
        _closure(custom={f"question_{n}": "x" for n in range(1001)}),
        {f"field_{n}": [] for n in range(600)} | {"more": list(range(401))},
    ],
    ids=["a long list", "an object of many members", "many values at two depths"],
)
def test_it_refuses_a_body_holding_more_values_than_a_web_form_may(api, alice, active_case, body):
    """Adversarial review (December 2026): Django refuses a form of more than 1,000 fields
    (`DATA_UPLOAD_MAX_NUMBER_FIELDS`), but DRF reads the body itself: a list of 300,000
    invalid choices (1.5 MB) held a server process for 11 seconds and answered with 25 MB,
    one error per item. Now refused whole before any field is read, in a line."""
    response = api(alice).post(f"/api/v1/cases/{active_case.pk}/closures/", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert error["message"] == "The body holds too many values to read: at most 1000."
    assert len(response.content) < 500
    assert not active_case.closures.exists()


def test_it_refuses_a_body_larger_than_a_web_form_may_be_in_json(api, alice, active_case, settings):
    """Adversarial review (December 2026): Django's limit of a form's size stops a larger
    body, but the API answered it with the site's HTML error page, not its JSON error."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    url = f"/api/v1/cases/{active_case.pk}/assessments/"
    before = active_case.assessments.count()
    body = {"date": days_ago(1).isoformat(), "trigger": "periodic", "needs": "n" * 20_000}
    response = api(alice).post(url, body)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "parse_error",
        "message": "The body is too large to read: at most 20000 bytes.",
        "fields": {},
    }
    assert active_case.assessments.count() == before
