"""The organisation's own fields on the phone: a contact or an assessment recorded offline asks
them as the web form does (required ones, conditions, sensitive ones for the case's own people),
and the sync checks and stores them with the record, in one step (docs/offline.md)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Assessment, Contact
from engage.custom import services as custom
from engage.directory.factories import ServiceFactory
from engage.offline.models import OfflineCase
from tests.cases.conftest import partner  # noqa: F401 (a fixture)
from tests.custom.helpers import answers, define_all_types, define_asked_when, expected, stored
from tests.offline.test_offline import _contact, _sync

pytestmark = pytest.mark.django_db


def _fields(client, device, case, kind):
    entry = next(
        entry
        for entry in client.get("/offline/bundle/", **device).json()["cases"]
        if entry["id"] == str(case.pk)
    )
    return {field["name"]: field for field in entry["fields"][kind]}


@pytest.fixture
def taken(client, active, device):
    assert client.post(f"/offline/cases/{active.pk}/take/").status_code == 302
    return active


def test_the_bundle_describes_each_type_as_the_web_form_asks_it(
    client, organisation, ada, taken, device
):
    service = ServiceFactory(organisation=organisation, name="Red Cross shelter")
    made = define_all_types(organisation, ada, "contact")
    custom.update_field(made["short_text"], by=ada, required=True)
    custom.update_field(
        made["long_text"], by=ada, condition_field=made["yes_no"], condition_value="yes"
    )
    fields = _fields(client, device, taken, "contact")
    assert list(fields) == [f"custom_own_{kind}" for kind in made]
    assert {name: field["input"] for name, field in fields.items()} == {
        "custom_own_short_text": "text",
        "custom_own_long_text": "long",
        "custom_own_number": "number",
        "custom_own_date": "date",
        "custom_own_yes_no": "one",
        "custom_own_choice": "one",
        "custom_own_choices": "multiple",
        "custom_own_service": "one",
    }
    assert fields["custom_own_short_text"]["required"] is True
    assert fields["custom_own_short_text"]["max_length"] == 200
    assert (fields["custom_own_number"]["min"], fields["custom_own_number"]["max"]) == (
        "0.00",
        "10.00",
    )
    assert fields["custom_own_choices"]["choices"] == [
        ["low", "Low"], ["medium", "Medium"], ["high", "High"],
    ]  # fmt: skip
    assert fields["custom_own_service"]["choices"] == [[str(service.pk), "Red Cross shelter"]]
    assert fields["custom_own_long_text"]["when"] == {
        "name": "custom_own_yes_no",
        "value": "yes",
    }
    assert "Only when" in fields["custom_own_long_text"]["help"]
    assert _fields(client, device, taken, "assessment") == {}


def test_a_contact_without_a_required_answer_is_refused_and_nothing_is_kept(
    client, organisation, ada, taken, device
):
    required = custom.define_field(
        organisation, by=ada, form="contact", type="short_text", label="Interpreter used",
        required=True,
    )  # fmt: skip
    response = _sync(client, device, taken, "contact", _contact(taken))
    assert response.status_code == 422
    assert response.json()["errors"] == {f"custom_{required.key}": ["This field is required."]}
    assert not Contact.objects.filter(case=taken, type="home_visit").exists()
    assert AuditEvent.objects.filter(
        object_id=taken.pk, detail="offline_sync_refused:contact"
    ).exists()
    # Answered, the same contact is kept with its answer.
    answered = {**_contact(taken), f"custom_{required.key}": "Yes, in Arabic"}
    response = _sync(client, device, taken, "contact", answered)
    assert response.status_code == 201
    contact = Contact.objects.get(case=taken, type="home_visit")
    assert stored(taken, "contact", contact.pk) == {required.key: "Yes, in Arabic"}


def test_each_type_of_answer_is_stored_as_the_web_stores_it(
    client, organisation, ada, taken, device
):
    service = ServiceFactory(organisation=organisation, name="Red Cross shelter")
    define_all_types(organisation, ada, "assessment")
    data = {
        "date": days_ago(0).isoformat(), "trigger": "scheduled", "informed_decisions": 3,
        "engage_procedures": 4, "wellbeing": 2, **answers(service),
    }  # fmt: skip
    latest = Assessment.objects.filter(case=taken).order_by("-created_at").first()
    base = {"latest_assessment": str(latest.pk) if latest else None}
    response = _sync(client, device, taken, "assessment", data, base=base)
    assert response.status_code == 201, response.json()
    assessment = Assessment.objects.get(pk=response.json()["id"])
    assert stored(taken, "assessment", assessment.pk) == expected(service)


def test_a_required_field_under_a_condition_is_asked_only_when_it_holds(
    client, organisation, ada, taken, device
):
    asked, where = define_asked_when(organisation, ada, "contact")
    no = {**_contact(taken), f"custom_{asked.key}": "no", f"custom_{where.key}": "Kept?"}
    assert _sync(client, device, taken, "contact", no).status_code == 201
    contact = Contact.objects.get(case=taken, type="home_visit")
    # Hidden by its condition: nothing kept of what it held, as on the web.
    assert stored(taken, "contact", contact.pk) == {asked.key: False}
    yes = {**_contact(taken), f"custom_{asked.key}": "yes"}
    response = _sync(client, device, taken, "contact", yes)
    assert response.status_code == 422 and f"custom_{where.key}" in response.json()["errors"]


def test_a_sensitive_field_is_neither_asked_of_nor_taken_from_a_household_colleague(
    client,
    organisation,
    ada,
    alice,
    partner,  # noqa: F811
    device,
):
    """Alice sees Dan's case through her client's household: the phone does not ask her a
    sensitive question of it, and an answer sent anyway is not stored."""
    dan = partner.case_manager
    case, _plan = to_active(partner, dan, dan.team.leader)
    sensitive = custom.define_field(
        organisation, by=ada, form="contact", type="short_text", label="Health",
        sensitive=True,
    )  # fmt: skip
    OfflineCase.objects.create(user=alice, case=case)
    assert _fields(client, device, case, "contact") == {}
    sent = {**_contact(case), f"custom_{sensitive.key}": "Sentinelhealth"}
    assert _sync(client, device, case, "contact", sent).status_code == 201
    contact = Contact.objects.get(case=case, type="home_visit")
    assert stored(case, "contact", contact.pk) == {}


def test_the_fields_are_read_once_for_the_whole_bundle_not_for_each_case(
    client, organisation, ada, alice, bob, taken, device
):
    """A phone keeps a day's visits: the fields are the same on each of them (but for the
    sensitive ones, by who reads), so the bundle reads them once a form, not once a case."""
    ServiceFactory(organisation=organisation, name="Red Cross shelter")
    define_all_types(organisation, ada, "contact")
    custom.define_field(
        organisation, by=ada, form="assessment", type="short_text", label="Health",
        sensitive=True,
    )  # fmt: skip
    for _n in range(2):
        more, _plan = to_active(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        assert client.post(f"/offline/cases/{more.pk}/take/").status_code == 302
    with CaptureQueriesContext(connection) as queries:
        cases = client.get("/offline/bundle/", **device).json()["cases"]
    assert len(cases) == 3
    assert len({str(entry["fields"]) for entry in cases}) == 1
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "custom_customfield"' in q["sql"]]
    assert len(reads) == 2  # the contact's fields and the assessment's, once each
