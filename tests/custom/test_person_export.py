"""The person's own data (right of access) shows each answer to the organisation's own fields
in words, under the question as it was asked: not the stored JSON."""

import json

import pytest
from django.utils import translation

from engage.cases.factories import days_ago
from engage.custom import services
from engage.custom.models import CustomValue
from engage.privacy import access
from engage.privacy.models import SubjectRequest
from engage.privacy.services import hand_over_access


@pytest.fixture
def answered(case, alice, ada, organisation):
    define = services.define_field
    define(
        organisation, by=ada, form="referral", type="choice", key="housing", label="Housing zz",
        options=["Shelter", "Street"],
    )  # fmt: skip
    define(
        organisation, by=ada, form="referral", type="choices", key="needs", label="Needs zz",
        options=["Food", "Legal aid"],
    )  # fmt: skip
    define(organisation, by=ada, form="referral", type="yes_no", key="kids", label="Kids zz")
    define(organisation, by=ada, form="referral", type="date", key="arrival", label="Arrival zz")
    services.save_values(
        case,
        "referral",
        case.pk,
        {"housing": "street", "needs": ["food", "legal_aid"], "kids": False,
         "arrival": days_ago(40)},
        by=alice,
    )  # fmt: skip
    # Renamed afterwards: the person reads the question as it was asked.
    housing = services.fields_of(organisation).get(key="housing")
    services.update_field(housing, by=ada, label="Where they sleep zz")
    return case


def _export(case, alice):
    entry = SubjectRequest.objects.create(
        person=case.person,
        case=case,
        kind="access",
        requested_on=days_ago(0),
        identity_check="x",
        recorded_by=alice,
    )
    return entry, hand_over_access(entry, by=alice)


def test_the_answers_read_as_words_under_the_question_asked(answered, alice):
    with translation.override("en"):
        _entry, data = _export(answered, alice)
        rows = json.loads(access.as_json(data))
    answers = next(rows[kind] for kind in rows if rows[kind] and "question" in rows[kind][0])
    found = {row["question"]: row["answer"] for row in answers}
    assert found["Housing zz"] == "Street"
    assert found["Needs zz"] == "Food, Legal aid"
    assert found["Kids zz"] == "No"
    assert found["Arrival zz"] == days_ago(40).strftime("%d/%m/%Y")
    assert all(row["form"] == "Referral" for row in answers)
    text = access.as_json(data)
    assert '"street"' not in text and "legal_aid" not in text and "false" not in text


def test_the_pdf_shows_them_too(answered, alice, as_user):
    entry, _data = _export(answered, alice)
    pdf = as_user(alice).get(f"/privacy/subject-requests/{entry.pk}/export/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_value_that_is_not_json_is_given_as_stored(answered, alice):
    value = CustomValue.objects.get(field__key="kids")
    value.value = "Zzwritten by hand"
    value.save()
    _entry, data = _export(answered, alice)
    assert "Zzwritten by hand" in access.as_json(data)
