"""Custom answers are personal data (issue 15 #3, #4): on the case page and its timeline for the
people working on the case (sensitive ones for its own case manager and supervisor), in the
change history, the person's own export, the organisation's export, re-encrypted by a key
rotation, deleted by erasure, and never in the network dataset."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.cases import services as cases
from engage.cases.factories import days_ago, to_screening
from engage.custom import services
from engage.custom.models import CustomValue
from engage.history.models import Change
from engage.lib import crypto
from engage.mel.dataset.rows import derive_rows
from engage.privacy import access
from engage.privacy.models import SubjectRequest
from engage.privacy.services import erase_person, hand_over_access
from engage.sharing import own_export
from tests.conftest import TEST_FIELD_KEY
from tests.custom.people import SECRET
from tests.lib.test_encryption import _every_stored_value

pytestmark = pytest.mark.django_db

RISK_NOTE = "Sentinelrisk"


@pytest.fixture
def answered(case, alice, fields):
    """Alice's case with referral answers and a contact answered, one answer sensitive."""
    to_screening(case, alice)
    services.save_values(
        case, "referral", case.pk, {"arrival": days_ago(40), "housing": "street"}, by=alice
    )
    contact = cases.log_contact(
        case, by=alice, data={"date": days_ago(2), "type": "phone", "engagement_level": "active"}
    )
    services.save_values(
        case, "contact", contact.pk, {"risk": "high", "followup": True, "secret": SECRET}, by=alice
    )
    return case


def _page(client, shown):
    return client.get(f"/cases/{shown.pk}/").content.decode()


def test_the_case_page_and_timeline_show_the_answers_to_the_people_working_on_it(
    answered,
    as_user,
    alice,
    bob,
    dora,
    ada,
):
    for own in (alice, bob):
        page = _page(as_user(own), answered)
        assert "Housing" in page and "Street" in page  # the referral card
        assert "Risk seen: High" in page and "Follow-up needed: Yes" in page  # the timeline
        assert SECRET in page
    page = _page(as_user(dora), answered)  # sees the case through a household
    assert "Risk seen: High" in page and SECRET not in page
    page = _page(as_user(ada), answered)  # the organisation admin: no case details at all
    assert "Risk seen" not in page and SECRET not in page


def test_an_answer_keeps_the_label_it_was_given_under_and_a_retired_field_stays(
    answered,
    as_user,
    alice,
    ada,
    fields,
):
    services.update_field(fields["risk"], by=ada, label="Risk now")
    services.retire_field(fields["followup"], by=ada)
    page = _page(as_user(alice), answered)
    # The timeline says what was asked then (the contact form on the page asks the new label).
    assert "Risk seen: High" in page and "Risk now: High" not in page
    assert "Follow-up needed: Yes" in page


def test_the_case_page_makes_as_many_queries_with_20_fields(
    organisation,
    case,
    alice,
    ada,
    as_user,
):
    """Flat: as many queries with 20 fields of every type on two forms as with 10, and only
    a handful more than with none (the answers, their options, the services)."""
    to_screening(case, alice)
    client = as_user(alice)
    _page(client, case)  # warm up (sessions, caches)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = _page(client, case)
        assert SECRET not in page
        return len(captured.captured_queries)

    def add_fields(numbers) -> None:
        for n in numbers:
            kind = ["short_text", "yes_no", "choice", "number", "service"][n % 5]
            for form in ("referral", "contact"):
                field = services.define_field(
                    organisation,
                    by=ada,
                    form=form,
                    type=kind,
                    label=f"Question {n}",
                    options=["One", "Two"] if kind == "choice" else (),
                )
                if kind == "service":
                    continue
                value = {"short_text": "text", "yes_no": True, "choice": "one", "number": 3}[kind]
                record = case.pk
                if form == "contact":
                    data = {"date": days_ago(1), "type": "phone", "engagement_level": "active"}
                    record = cases.log_contact(case, by=alice, data=data).pk
                services.save_values(case, form, record, {field.key: value}, by=alice)

    none = queries()
    add_fields(range(10))
    ten = queries()
    add_fields(range(10, 20))
    twenty = queries()
    assert "Question 19" in _page(client, case)
    assert twenty == ten
    assert ten <= none + 5


def test_the_history_hides_a_sensitive_answer_from_other_staff(
    answered,
    as_user,
    alice,
    dora,
):
    assert Change.objects.filter(model="custom.customvalue", case_id=answered.pk).exists()
    mine = as_user(alice).get(f"/history/cases/{answered.pk}/").content.decode()
    assert SECRET in mine
    theirs = as_user(dora).get(f"/history/cases/{answered.pk}/").content.decode()
    assert SECRET not in theirs and "(sensitive)" in theirs


def test_the_persons_own_export_holds_their_answers(answered, alice, as_user):
    entry = SubjectRequest.objects.create(
        person=answered.person,
        case=answered,
        kind="access",
        requested_on=days_ago(0),
        identity_check="x",
        recorded_by=alice,
    )
    text = access.as_json(hand_over_access(entry, by=alice))
    assert SECRET in text and "What they confided" in text
    pdf = as_user(alice).get(f"/privacy/subject-requests/{entry.pk}/export/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_organisations_export_holds_the_answers_but_not_the_sensitive_ones(
    answered, organisation
):
    files, counts = own_export.archive(organisation)
    rows = list(csv.DictReader(io.StringIO(files["custom/customvalue.csv"].decode("utf-8-sig"))))
    assert counts["custom/customvalue.csv"] == 4  # arrival, housing, risk, followup
    assert {row["label_at_entry"] for row in rows} >= {"Housing", "Risk seen"}
    assert all(SECRET not in content.decode("utf-8", "replace") for content in files.values())
    assert "custom/customfield.csv" in files


def test_key_rotation_re_encrypts_the_answers(answered, settings):
    stored = CustomValue.objects.get(field__key="secret")

    def raw():
        with connection.cursor() as cursor:
            pk = stored.pk.hex if connection.vendor == "sqlite" else stored.pk
            cursor.execute("SELECT value FROM custom_customvalue WHERE id = %s", [pk])
            return cursor.fetchone()[0]

    before = raw()
    new = crypto.new_field_key()
    try:
        settings.ENGAGE_FIELD_KEYS = [new, TEST_FIELD_KEY]
        crypto.reset_keys()
        out = StringIO()
        call_command("rotate_keys", stdout=out)
        assert "custom.CustomValue: 5 rows re-encrypted" in out.getvalue()
        settings.ENGAGE_FIELD_KEYS = [new]  # the old key is gone
        crypto.reset_keys()
        assert CustomValue.objects.get(pk=stored.pk).data == SECRET
        assert raw() != before
    finally:
        settings.ENGAGE_FIELD_KEYS = [TEST_FIELD_KEY]
        crypto.reset_keys()


def test_erasure_deletes_every_answer_and_its_history_values(answered, bob, case):
    ciphertexts = {v.value for v in CustomValue.objects.all()}  # decrypted JSON
    raw = _every_stored_value()
    assert SECRET not in raw  # encrypted at rest
    history = {
        value
        for before, after in Change.objects.filter(model="custom.customvalue").values_list(
            "before", "after"
        )
        for values in (before or {}, after or {})
        for value in values.values()
        if isinstance(value, str) and value.startswith("gAAAA")
    }
    assert history and ciphertexts
    erase_person(answered.person, by=bob, reason="request")
    assert not CustomValue.objects.filter(case=answered).exists()
    dump = _every_stored_value()
    assert SECRET not in dump
    assert [c for c in history if c in dump] == []  # not even as ciphertext


def test_the_network_dataset_holds_no_answer(answered, organisation, fields):
    rows = list(derive_rows(organisation, days_ago(0).strftime("%Y-%m")))
    assert rows
    text = repr(rows)
    for word in (SECRET, "street", "high", "Risk seen", "Housing", "custom"):
        assert word not in text
    assert not {column for row in rows for column in row if column.startswith("custom")}
