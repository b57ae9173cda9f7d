"""A contact note marked sensitive is read by the case's own case manager, their supervisor and
the note's author, as a sensitive custom answer is: not by a colleague who sees the case only
through the household rule (the partner's case manager, where the note may be about the
partner), nor by the organisation admin. A copy of the person's data, which holds everything,
is handed over only by those who read everything (December 2026 review, docs/security.md)."""

import re

import pytest
from django.core.exceptions import ValidationError

from engage.cases import services
from engage.cases.factories import days_ago, to_active
from engage.cases.models import Contact
from engage.custom import services as custom
from engage.history.models import Change
from engage.privacy.models import SubjectRequest
from engage.privacy.services import erase_on_request, hand_over_access
from engage.sharing import services as sharing
from engage.sharing.models import Recipient, Share
from tests.api.conftest import ApiClient, make_token
from tests.cases.conftest import partner  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def notes(partner):  # noqa: F811
    """Dan's two notes on his client's case: one marked sensitive."""
    dan = partner.case_manager
    case, _plan = to_active(partner, dan, dan.team.leader)
    for text, sensitive in (("Sentinelsensitive", True), ("Sentinelplain", False)):
        services.log_contact(
            case, by=dan, data={"date": days_ago(1), "type": "phone", "note": text,
                                "sensitive": sensitive},
        )  # fmt: skip
    return case


def _readers(case, bob):
    dan = case.case_manager
    return {"dan": dan, "sue": dan.team.leader, "bob": bob}


def test_the_case_page_shows_a_sensitive_note_to_the_cases_own_people_only(
    as_user, notes, alice, bob
):
    readers = _readers(notes, bob)
    for name, user in {**readers, "alice": alice}.items():
        page = as_user(user).get(f"/cases/{notes.pk}/").content.decode()
        assert "Sentinelplain" in page, name
        # Alice and Bob see the case through the household of Alice's client only.
        assert ("Sentinelsensitive" in page) == (name in ("dan", "sue")), name
        assert ("case manager and their supervisor" in page) == (name in ("alice", "bob")), name


def test_the_author_of_a_sensitive_note_reads_it_on_a_case_of_the_household(
    as_user, notes, alice
):
    services.log_contact(
        notes, by=alice, data={"date": days_ago(0), "type": "phone", "note": "Sentinelalices",
                               "sensitive": True},
    )  # fmt: skip
    page = as_user(alice).get(f"/cases/{notes.pk}/").content.decode()
    assert "Sentinelalices" in page and "Sentinelsensitive" not in page


def test_the_api_gives_a_sensitive_note_to_the_cases_own_people_only(notes, alice):
    for user, sees in ((alice, False), (notes.case_manager, True)):
        api = ApiClient(make_token(user)).get
        body = api(f"/api/v1/cases/{notes.pk}/contacts/").json()
        rows = body["results"] if isinstance(body, dict) else body
        by_flag = {row["sensitive"]: row["note"] for row in rows}
        assert by_flag[False] == "Sentinelplain"
        assert by_flag[True] == ("Sentinelsensitive" if sees else "")
        one = api(f"/api/v1/contacts/{Contact.objects.get(sensitive=True).pk}/").json()
        assert one["note"] == ("Sentinelsensitive" if sees else "")


def test_the_case_history_hides_a_sensitive_notes_values_from_the_household(
    as_user, notes, alice
):
    page = as_user(alice).get(f"/history/cases/{notes.pk}/").content.decode()
    assert "Sentinelplain" in page and "Sentinelsensitive" not in page
    page = as_user(notes.case_manager).get(f"/history/cases/{notes.pk}/").content.decode()
    assert "Sentinelsensitive" in page


def _request(case, kind, *, by):
    return SubjectRequest.objects.create(
        person=case.person, case=case, kind=kind, requested_on=days_ago(0),
        identity_check="passport", recorded_by=by,
    )  # fmt: skip


def test_a_copy_of_the_persons_data_is_handed_over_only_by_who_reads_everything(
    as_user, notes, alice
):
    """Alice could register an access request for her client's partner and download the copy:
    every sensitive note and answer of the partner's case, from the household rule alone."""
    entry = _request(notes, "access", by=alice)
    with pytest.raises(ValidationError):
        hand_over_access(entry, by=alice)
    response = as_user(alice).get(f"/privacy/subject-requests/{entry.pk}/export/json/")
    assert response.status_code in (403, 302)
    assert b"Sentinelsensitive" not in response.content
    entry.refresh_from_db()
    assert entry.completed_at is None
    page = as_user(alice).get(f"/privacy/cases/{notes.pk}/").content.decode()
    assert f"/privacy/subject-requests/{entry.pk}/export/json/" not in page
    copy = as_user(notes.case_manager).get(f"/privacy/subject-requests/{entry.pk}/export/json/")
    assert copy.status_code == 200 and b"Sentinelsensitive" in copy.content


def test_only_the_supervisor_of_the_cases_team_erases_the_person(as_user, notes, alice, bob):
    """Bob leads Alice's team and sees the partner's case through the household: he could
    erase the partner, a step that cannot be undone and is Sue's team's to take."""
    entry = _request(notes, "erasure", by=alice)
    with pytest.raises(ValidationError):
        erase_on_request(entry, by=bob)
    client = as_user(bob)  # signed in just now: the password is not asked again
    assert "/erase/" not in client.get(f"/privacy/cases/{notes.pk}/").content.decode()
    assert client.get(f"/privacy/subject-requests/{entry.pk}/erase/").status_code == 302
    assert client.post(f"/privacy/subject-requests/{entry.pk}/erase/").status_code == 302
    notes.person.refresh_from_db()
    assert notes.person.erased_at is None and notes.person.given_name
    sue = as_user(notes.case_manager.team.leader)
    assert sue.post(f"/privacy/subject-requests/{entry.pk}/erase/").status_code == 302
    notes.person.refresh_from_db()
    assert notes.person.erased_at is not None


def test_only_the_cases_own_people_record_consent_and_release_its_data(as_user, notes, alice):
    """Alice sees the partner's case through the household: she could record a consent in the
    partner's name and send the partner's data to a recipient, or take a share Dan prepared."""
    dan = notes.case_manager
    clinic = Recipient.objects.create(organisation=notes.organisation, name="Clinic", type="health")
    consent = {
        "person": notes.person, "recipient": clinic, "purpose": "referral",
        "categories": ["identity"], "given_on": days_ago(1), "expires_on": days_ago(-90),
        "language": "Arabic", "through_interpreter": False,
    }  # fmt: skip
    with pytest.raises(ValidationError):
        sharing.record_consent(notes, by=alice, data=consent)
    sharing.record_consent(notes, by=dan, data=consent)
    share = {"person": notes.person, "recipient": clinic, "purpose": "referral",
             "categories": ["identity"]}  # fmt: skip
    with pytest.raises(ValidationError):
        sharing.request_share(notes, by=alice, **share)
    prepared = sharing.request_share(notes, by=dan, **share)
    sharing.produce_queued([prepared.pk])
    client = as_user(alice)
    page = client.get(f"/sharing/cases/{notes.pk}/").content.decode()
    assert f"/sharing/shares/{prepared.pk}/download/" not in page
    assert f"/sharing/cases/{notes.pk}/share/" not in page
    for path in (f"/sharing/cases/{notes.pk}/consents/new/", f"/sharing/cases/{notes.pk}/share/"):
        assert client.get(path).status_code == 302, path
    response = client.get(f"/sharing/shares/{prepared.pk}/download/")
    assert response.status_code == 302
    assert notes.person.given_name.encode() not in response.content
    prepared.refresh_from_db()
    assert prepared.handed_over_at is None and prepared.status == Share.Status.READY
    assert as_user(dan).get(f"/sharing/shares/{prepared.pk}/download/").status_code == 200


def test_a_changed_sensitive_answer_is_hidden_in_the_history_from_the_household(
    partner, alice, bob, ada, as_user  # noqa: F811
):
    """A change records only the columns it changed: an answer changed later carried its value
    but not its field, and the history showed both values to whoever sees the case."""
    dan = partner.case_manager
    case, _plan = to_active(partner, dan, dan.team.leader)
    custom.define_field(
        case.organisation, by=ada, form="referral", type="long_text", key="confided",
        label="Confided", sensitive=True,
    )  # fmt: skip
    custom.save_values(case, "referral", case.pk, {"confided": "Sentinelfirst"}, by=dan)
    custom.save_values(case, "referral", case.pk, {"confided": "Sentinelsecond"}, by=dan)
    update = Change.objects.get(model="custom.customvalue", case_id=case.pk, operation="update")
    assert "field_id" not in (update.after or {})
    for reader, reads in ((alice, False), (bob, False), (dan, True), (dan.team.leader, True)):
        history = as_user(reader).get(f"/history/cases/{case.pk}/").content.decode()
        assert ("Sentinelfirst" in history and "Sentinelsecond" in history) == reads, reader


def test_the_audit_log_does_not_name_the_sensitive_question_answered(
    partner, ada, as_user  # noqa: F811
):
    """Which sensitive question was answered (or emptied) on a case is the case's own people's:
    the admin's audit log says that a sensitive answer changed, not which."""
    dan = partner.case_manager
    for key, sensitive in (("sentinelhivpositive", True), ("sentinelplainkey", False)):
        custom.define_field(
            partner.organisation, by=ada, form="referral", type="yes_no", key=key,
            label=key, sensitive=sensitive,
        )  # fmt: skip
    values = {"sentinelhivpositive": True, "sentinelplainkey": True}
    custom.save_values(partner, "referral", partner.pk, values, by=dan)
    log = as_user(ada).get("/audit/").content.decode()
    answered = re.findall(r"custom:referral:[\w,]+", log)
    assert answered == ["custom:referral:sensitive,sentinelplainkey"]
