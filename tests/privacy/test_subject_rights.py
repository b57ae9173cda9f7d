"""Right of access (R32), rectification (R33), erasure (R34) and retention (R35)."""

import datetime
import json
import uuid

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import models
from django.db.models import Q
from django.utils import timezone

from engage.accounts.factories import UserFactory
from engage.audit.models import AuditEvent
from engage.cases import duplicates, services, workflow
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import (
    Appointment,
    Case,
    Household,
    Person,
    PossibleDuplicate,
    SearchToken,
)
from engage.custom import services as custom
from engage.custom.models import CustomField, CustomValue
from engage.directory.models import Service
from engage.directory.services import make_referral, save_service
from engage.documents import storage
from engage.documents.models import Document
from engage.documents.services import attach
from engage.history.models import Change
from engage.liaison import services as liaison
from engage.offline import services as offline
from engage.privacy import access
from engage.privacy.models import SubjectRequest
from engage.privacy.services import apply_retention, erase_person, hand_over_access
from engage.sharing import services as sharing
from engage.sharing.models import DataRequest, Recipient
from tests.documents.test_documents import png_bytes
from tests.lib.test_encryption import _every_stored_value

pytestmark = pytest.mark.django_db


def _story(organisation, alice, bob, tag: str) -> Case:
    """A case that touches every kind of record, every free text set to a `tag` sentinel."""
    case = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name=f"{tag}given",
        person__phone="+359 1 2345 678",
        person__date_of_birth=datetime.date(1990, 5, 1),
    )
    case, plan = to_active(case, alice, bob)
    services.log_contact(
        case, by=alice, data={"date": days_ago(3), "type": "phone", "engagement_level": "active"}
    )
    services.request_reassessment(case, by=alice, trigger="crisis", note="x")
    services.add_plan_review(plan, by=alice, date=days_ago(2), note="x")
    recipient, _ = Recipient.objects.get_or_create(
        organisation=organisation, name="Clinic", defaults={"type": "health"}
    )
    consent = sharing.record_consent(
        case,
        by=alice,
        data={
            "person": case.person,
            "recipient": recipient,
            "purpose": "referral",
            "categories": ["identity", "notes"],
            "given_on": days_ago(1),
            "expires_on": days_ago(-100),
            "language": "Arabic",
            "through_interpreter": False,
        },
    )
    sharing.request_share(
        case,
        by=alice,
        person=case.person,
        recipient=recipient,
        purpose="referral",
        categories=["identity", "notes"],
    )
    sharing.produce_queued()
    sharing.withdraw_consent(consent, by=alice, note="x")
    SubjectRequest.objects.create(
        person=case.person,
        case=case,
        kind="access",
        requested_on=days_ago(0),
        identity_check="x",
        recorded_by=alice,
    )
    DataRequest.objects.create(
        organisation=organisation,
        case=case,
        received_on=days_ago(0),
        requester="x",
        requester_type="authority",
        legal_basis="x",
        data_requested="x",
        recorded_by=bob,
    )
    attach(case, by=alice, kind="other", title="x", data=png_bytes())
    service = Service.objects.filter(organisation=organisation).first() or save_service(
        organisation, by=bob, data={"name": "Shelter", "type": "accommodation", "city": "Sofia"}
    )
    make_referral(case, by=alice, service=service, made_on=days_ago(1), reason="x", categories=[])
    authority, _ = Recipient.objects.get_or_create(
        organisation=organisation, name="Migration office", defaults={"type": "authority"}
    )
    letter = liaison.save_letter(case, by=alice, template=None, title="x", text="x", language="en")
    liaison.record_liaison(
        case,
        by=alice,
        kind="letter",
        date=days_ago(1),
        authority=authority,
        categories=[],
        officer="x",
        summary="x",
        outcome_note="x",
    )
    obligation = liaison.save_obligation(
        case,
        by=alice,
        data={"place": "x", "frequency": "weekly", "start_date": days_ago(7), "note": "x"},
    )
    event = liaison.record_reporting(obligation, by=alice, date=days_ago(7), status="missed")
    liaison.follow_up_missed(event, by=alice, on=days_ago(6), note="x")
    assert letter.case_id == case.pk
    services.plan_appointment(
        case, by=alice, data={"date": days_ago(-2), "kind": "home_visit", "place": "x"}
    )
    # Taken offline for a visit, and a contact sent from the device's outbox (engage.offline).
    offline.take_offline(case, by=alice)
    offline.apply_item(
        alice,
        key=uuid.uuid4(),
        kind="contact",
        case_id=case.pk,
        base={},
        data={"date": days_ago(1), "type": "home_visit", "engagement_level": "active"},
        queued_at=None,
    )
    services.request_closure(
        case,
        by=alice,
        data={"date": days_ago(0), "reason": "transferred", "note": "x", "onward_referral": "x"},
    )
    twin = CaseFactory(organisation=organisation, case_manager=alice)
    duplicates.flag(case.person, [duplicates.Match(twin.person_id, ("phone",))], by=alice)
    # An answer to the organisation's own field (engage.custom) on the referral.
    own = CustomField.objects.filter(organisation=organisation, key="story").first()
    if own is None:
        own = custom.define_field(
            organisation, by=bob, form="referral", type="long_text", key="story", label="Story"
        )
    custom.save_values(case, "referral", case.pk, {"story": "x"}, by=alice)
    _tag_every_text(case, tag)
    return Case.objects.get(pk=case.pk)


def _text_fields(model) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if getattr(f, "encrypted", False)
        and isinstance(f, models.CharField | models.TextField)
        and f.name not in ("content",)
    ]


def _case_models():
    """Every model holding data about a person: related to Person, Case, or a plan or goal."""
    found = set()
    for model in apps.get_models():
        targets = {
            f.related_model._meta.label for f in model._meta.concrete_fields if f.is_relation
        }
        if targets & {"cases.Person", "cases.Case", "cases.CasePlan", "cases.Goal"}:
            found.add(model)
    return found - {SearchToken, AuditEvent}


def _rows(model, case: Case):
    names = {f.name for f in model._meta.concrete_fields}
    if model is Case:
        return model.objects.filter(pk=case.pk)
    if "case" in names:
        return model.objects.filter(case=case)
    if "person" in names:
        return model.objects.filter(person=case.person)
    if "plan" in names:
        return model.objects.filter(plan__case=case)
    return model.objects.filter(goal__plan__case=case)


def _tag_every_text(case: Case, tag: str) -> None:
    for model in _case_models() | {Person}:
        rows = Person.objects.filter(pk=case.person_id) if model is Person else _rows(model, case)
        fields = _text_fields(model)
        assert rows.exists(), f"the story makes no {model.__name__}: add one to _story"
        for row in rows:
            for name in fields:
                setattr(row, name, f"{tag}-{model.__name__}-{name}")
            if fields:
                model.objects.filter(pk=row.pk).update(**{n: getattr(row, n) for n in fields})


def _sentinels(case: Case, tag: str) -> set[str]:
    return {
        f"{tag}-{model.__name__}-{name}"
        for model in _case_models() | {Person}
        for name in _text_fields(model)
    }


@pytest.fixture
def two_stories(organisation, alice, bob):
    return _story(organisation, alice, bob, "PPP"), _story(organisation, alice, bob, "QQQ")


class TestAccess:
    def test_it_exports_everything_about_the_person_and_nothing_about_anyone_else(
        self, two_stories, alice
    ):
        mine, theirs = two_stories
        entry = SubjectRequest.objects.get(person=mine.person)
        text = access.as_json(hand_over_access(entry, by=alice))
        missing = {s for s in _sentinels(mine, "PPP") if s not in text}
        # The register of authority requests: in the copy its reader makes (below).
        assert missing == {s for s in missing if s.startswith("PPP-DataRequest-")}
        assert "QQQ" not in text
        assert mine.reference in text and theirs.reference not in text
        assert "Alice" not in text  # staff by role only
        assert AuditEvent.objects.filter(action="export", detail="subject_access").count() == 1

    def test_it_leaves_the_register_of_authority_requests_out_of_a_copy_its_maker_may_not_read(
        self, two_stories, as_user, alice, bob
    ):
        """The register (R14) is the supervisors' and admins'; a case manager reads none of it,
        not in the case's history either (item 17). Alice, the case's own case manager, made
        the client's copy and read in it who asked the organisation for the client's data, on
        what basis, what they asked for and what was decided. Her supervisor's copy keeps it."""
        mine, _theirs = two_stories
        entry = SubjectRequest.objects.get(person=mine.person)
        body = as_user(alice).get(f"/privacy/subject-requests/{entry.pk}/export/json/")
        assert body.status_code == 200
        assert "PPP-DataRequest-" not in body.content.decode()
        text = access.as_json(hand_over_access(entry, by=bob))
        register = {s for s in _sentinels(mine, "PPP") if s.startswith("PPP-DataRequest-")}
        assert register and {s for s in register if s in text} == register
        # The page she makes it from says so; her supervisor's does not.
        said = "It leaves out the register of requests from authorities"
        assert said in as_user(alice).get(f"/privacy/cases/{mine.pk}/").content.decode()
        assert said not in as_user(bob).get(f"/privacy/cases/{mine.pk}/").content.decode()

    def test_it_gives_a_readable_pdf_and_json_to_download(self, two_stories, as_user, alice):
        mine, _theirs = two_stories
        entry = SubjectRequest.objects.get(person=mine.person)
        client = as_user(alice)
        pdf = client.get(f"/privacy/subject-requests/{entry.pk}/export/pdf/")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf["Content-Disposition"].startswith("attachment;")
        data = json.loads(client.get(f"/privacy/subject-requests/{entry.pk}/export/json/").content)
        assert data["people"][0]["given_name"] == "PPP-Person-given_name"

    def test_it_leaves_out_a_household_members_data(self, organisation, alice, bob):
        case = _story(organisation, alice, bob, "PPP")
        household = Household.objects.create(organisation=organisation)
        member = Person.objects.create(
            organisation=organisation, household=household, given_name="Membername"
        )
        Person.objects.filter(pk=case.person_id).update(household=household)
        Case.objects.filter(pk=case.pk).update(household=household)
        case.refresh_from_db()
        plan = services.create_plan(case, by=alice, person=member)
        services.add_goal(plan, by=alice, data={"area": "family", "description": "Membergoal"})
        entry = SubjectRequest.objects.get(person=case.person)
        text = access.as_json(hand_over_access(entry, by=alice))
        assert "PPP-Goal-description" in text
        assert "Membername" not in text and "Membergoal" not in text

    def test_it_leaves_out_an_enrollment_held_outside_the_requesters_caseload(
        self, as_user, organisation, alice
    ):
        # Alice holds the client's new enrollment; Carol, not in her team, held the earlier
        # one, which Alice cannot open: the copy Alice makes must not hand it to her.
        carol = UserFactory(organisation=organisation)
        earlier = CaseFactory(organisation=organisation, case_manager=carol)
        services.log_contact(earlier, by=carol, data={"date": days_ago(150), "type": "phone",
                                                      "note": "Sentinelhidden by Carol"})  # fmt: skip
        later = CaseFactory(organisation=organisation, case_manager=alice, person=earlier.person,
                            previous=earlier)  # fmt: skip
        services.log_contact(later, by=alice, data={"date": days_ago(5), "type": "phone",
                                                    "note": "Sentinelseen by Alice"})  # fmt: skip
        client = as_user(alice)
        assert client.get(f"/cases/{earlier.pk}/").status_code == 404
        response = client.post(f"/privacy/cases/{later.pk}/requests/new/", {
            "person": str(later.person_id), "kind": "access",
            "requested_on": timezone.localdate().isoformat(), "identity_check": "seen"})  # fmt: skip
        assert response.status_code == 302
        entry = SubjectRequest.objects.get(case=later)
        body = client.get(f"/privacy/subject-requests/{entry.pk}/export/json/").content.decode()
        assert "Sentinelseen by Alice" in body and later.reference in body
        assert "Sentinelhidden" not in body and earlier.reference not in body
        # Carol's copy of the same person holds her enrollment, not Alice's.
        mine = access.as_json(access.person_data(earlier.person, for_user=carol))
        assert "Sentinelhidden by Carol" in mine and "Sentinelseen" not in mine

    def test_it_leaves_out_the_answers_on_a_household_members_goals(
        self, organisation, alice, member_with_a_goal
    ):
        case = member_with_a_goal[0]
        entry = SubjectRequest.objects.create(
            person=case.person, case=case, kind="access", requested_on=days_ago(0),
            identity_check="x", recorded_by=alice,
        )  # fmt: skip
        text = access.as_json(hand_over_access(entry, by=alice))
        assert "Sentinelclientanswer" in text  # the client's own
        assert "Sentinelmemberanswer" not in text

    def test_a_household_members_copy_holds_their_consents_shares_plan_and_answers(
        self, organisation, alice, member_with_a_goal
    ):
        """docs/security.md, item 56: a member's records are kept in the client's case, and
        their copy held their identity alone: not who received their data, nor their plan."""
        case, member, _goal, _own = member_with_a_goal
        clinic = Recipient.objects.create(
            organisation=organisation, name="Sentinelclinic", type="health"
        )
        sharing.record_consent(case, by=alice, data={
            "person": member, "recipient": clinic, "purpose": "referral",
            "categories": ["identity"], "given_on": days_ago(3), "expires_on": days_ago(-90),
            "language": "Arabic", "through_interpreter": False})  # fmt: skip
        share = sharing.request_share(case, by=alice, person=member, recipient=clinic,
                                      purpose="referral", categories=["identity"])  # fmt: skip
        sharing.produce_queued([share.pk])
        sharing.hand_over(share, by=alice)
        entry = SubjectRequest.objects.create(
            person=member, case=case, kind="access", requested_on=days_ago(0),
            identity_check="seen", recorded_by=alice,
        )  # fmt: skip
        text = access.as_json(hand_over_access(entry, by=alice))
        assert "Membername" in text and "Sentinelclinic" in text
        assert "Sentinelmemberanswer" in text and '"description": "G"' in text
        # Nothing of the client's own: their goal, its answer, their name.
        assert "Sentinelclientanswer" not in text and '"description": "Own"' not in text
        assert case.person.given_name not in text
        # A colleague who sees the client's case only through a household makes no such copy.
        dora = UserFactory(organisation=organisation)
        CaseFactory(organisation=organisation, case_manager=dora, household=case.household)
        theirs = access.as_json(access.person_data(member, for_user=dora))
        assert "Sentinelclinic" not in theirs and "Sentinelmemberanswer" not in theirs


class TestRectification:
    def test_it_flags_corrected_fields_and_shows_the_new_value(self, as_user, alice, organisation):
        case = CaseFactory(
            organisation=organisation, case_manager=alice, person__family_name="Wrongname"
        )
        person = case.person
        services.update_identity(
            case,
            by=alice,
            data={"family_name": "Rightname", "given_name": person.given_name},
            expected_version=person.version,
        )
        person.refresh_from_db()
        assert person.corrected_fields == ["family_name"]
        page = as_user(alice).get(f"/cases/{case.pk}/").content.decode()
        assert "Rightname" in page and "Wrongname" not in page


@pytest.fixture
def member_with_a_goal(organisation, alice, bob, ada):
    """A client and a household member, each with a plan whose goal has an answer to the
    organisation's own question: both answers hang off the client's case."""
    case, plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    household = Household.objects.create(organisation=organisation)
    Person.objects.filter(pk=case.person_id).update(household=household)
    Case.objects.filter(pk=case.pk).update(household=household)
    case.refresh_from_db()
    member = Person.objects.create(
        organisation=organisation, household=household, given_name="Membername"
    )
    custom.define_field(organisation, by=ada, form="goal", type="short_text", key="why",
                        label="Why")  # fmt: skip
    own_goal = services.add_goal(plan, by=alice, data={"area": "health", "description": "Own"})
    custom.save_values(case, "goal", own_goal.pk, {"why": "Sentinelclientanswer"}, by=alice)
    member_plan = services.create_plan(case, by=alice, person=member)
    goal = services.add_goal(member_plan, by=alice, data={"area": "health", "description": "G"})
    custom.save_values(case, "goal", goal.pk, {"why": "Sentinelmemberanswer"}, by=alice)
    return case, member, goal, own_goal


class TestErasure:
    def test_an_erased_persons_case_takes_no_new_personal_data_but_can_be_closed(
        self, as_user, organisation, alice, bob
    ):
        """docs/security.md, item 60: a contact's note written after the erasure, or a new
        enrollment reopened for the erased person, was out of reach of any erasure (a person
        erased once is not erased again)."""
        case, _plan = to_active(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        erase_person(case.person, by=bob, reason="request")
        client = as_user(alice)
        page = client.post(
            f"/cases/{case.pk}/contacts/new/",
            {"date": days_ago(1).isoformat(), "type": "phone", "note": "Zzafter erasure"},
            follow=True,
        ).content.decode()
        assert "their case can only be closed or reassigned" in page
        # The case page's next step is the one left, not the contact it would refuse.
        shown = client.get(f"/cases/{case.pk}/").content.decode()
        assert "This person&#x27;s data was erased: close the case." in shown
        assert not case.contacts.filter(type="phone").exists()
        case.refresh_from_db()
        assert workflow.allowed_steps(case) == {"close", "reassign"}
        # It is closed as any case is; closed, it is not reopened for the erased person.
        closure = services.request_closure(
            case, by=alice, data={"date": days_ago(0), "reason": "transferred"}
        )
        services.review_closure(closure, by=bob, approve=True)
        case.refresh_from_db()
        with pytest.raises(ValidationError, match="can only be closed or reassigned"):
            services.reopen(case, by=alice, referral={"referral_date": days_ago(0)})
        closed = client.get(f"/cases/{case.pk}/").content.decode()
        assert "This case is closed, and the person&#x27;s data was erased." in closed
        assert Case.objects.filter(person=case.person).count() == 1

    def test_it_records_no_request_of_a_person_already_erased(
        self, as_user, organisation, alice, bob
    ):
        """Item 60 left the person's own requests out: a request recorded in an erased person's
        name kept its identity check ("passport seen, no. ...") for good, since a person erased
        once is not erased again. A household member of an erased client still asks."""
        case = CaseFactory(organisation=organisation, case_manager=alice)
        household = Household.objects.create(organisation=organisation)
        member = Person.objects.create(
            organisation=organisation, household=household, given_name="Membername"
        )
        Person.objects.filter(pk=case.person_id).update(household=household)
        Case.objects.filter(pk=case.pk).update(household=household)
        erase_person(case.person, by=bob, reason="request")
        client = as_user(alice)
        data = {"kind": "access", "requested_on": days_ago(0).isoformat(),
                "identity_check": "Zzpassport 991"}  # fmt: skip
        page = client.post(
            f"/privacy/cases/{case.pk}/requests/new/", {**data, "person": str(case.person_id)}
        ).content.decode()
        assert "their case can only be closed or reassigned" in page
        assert not SubjectRequest.objects.filter(person=case.person).exists()
        answer = client.post(
            f"/privacy/cases/{case.pk}/requests/new/", {**data, "person": str(member.pk)}
        )
        assert answer.status_code == 302
        assert SubjectRequest.objects.filter(person=member).exists()

    def test_it_offers_no_write_it_would_refuse_on_an_erased_persons_pages(
        self, as_user, organisation, alice, bob
    ):
        """Item 60's case page still offered a contact (and its interval), appointments to plan,
        change or mark, a document to attach, a consent to record, data to share and a plan to
        change for the erased person, each refused once sent: the pages offer only what is
        left."""
        case, plan = to_active(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        coming = services.plan_appointment(
            case, by=alice, data={"date": days_ago(-2), "kind": "meeting"}
        )
        past = services.plan_appointment(case, by=alice, data={"date": days_ago(0), "kind": "call"})
        Appointment.objects.filter(pk=past.pk).update(date=days_ago(3))
        erase_person(case.person, by=bob, reason="request")
        client = as_user(alice)
        page = client.get(f"/cases/{case.pk}/").content.decode()
        for offered in (
            f"/cases/{case.pk}/contacts/new/",
            f"/cases/{case.pk}/contact-interval/",
            f"/cases/{case.pk}/appointments/new/",
            f"/cases/appointments/{coming.pk}/",
            f"/cases/appointments/{past.pk}/status/",
        ):
            assert offered not in page, offered
        assert "This person&#x27;s data was erased: close the case." in page
        documents = client.get(f"/documents/cases/{case.pk}/").content.decode()
        assert 'type="file"' not in documents
        assert "their case can only be closed or reassigned" in documents
        shared = client.get(f"/sharing/cases/{case.pk}/").content.decode()
        assert f"/sharing/cases/{case.pk}/consents/new/" not in shared
        assert f"/sharing/cases/{case.pk}/share/" not in shared
        assert "their case can only be closed or reassigned" in shared
        planned = client.get(f"/cases/plans/{plan.pk}/").content.decode()
        for offered in ("goals", "reviews", "submit"):
            assert f"/cases/plans/{plan.pk}/{offered}/" not in planned, offered
        assert "/actions/" not in planned and "/edit/" not in planned
        # Nor is the case taken offline for a visit, whose records would all be refused.
        assert f"/offline/cases/{case.pk}/take/" not in page
        with pytest.raises(ValidationError, match="data was erased"):
            offline.take_offline(Case.objects.get(pk=case.pk), by=alice)

    def test_a_case_taken_offline_before_the_erasure_can_still_be_let_go(
        self, as_user, organisation, alice, bob
    ):
        case, _plan = to_active(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        offline.take_offline(case, by=alice)
        erase_person(case.person, by=bob, reason="request")
        page = as_user(alice).get(f"/cases/{case.pk}/").content.decode()
        assert f"/offline/cases/{case.pk}/release/" in page

    def test_erasing_the_record_a_newcomer_may_duplicate_leaves_no_link_in_the_history(
        self, organisation, alice
    ):
        """docs/security.md, item 57: the history kept the link whole (`other` the erased
        person, `person` the newcomer, the reason "document"), tied to the living record."""
        known = CaseFactory(organisation=organisation, case_manager=alice)
        newcomer = CaseFactory(organisation=organisation, case_manager=alice)
        duplicates.flag(
            newcomer.person, [duplicates.Match(known.person_id, ("document",))], by=alice
        )
        erase_person(known.person, by=None, reason="request")
        assert not PossibleDuplicate.objects.filter(other=known.person).exists()
        erased = known.person_id.hex
        left = [
            change
            for change in Change.objects.filter(model="cases.possibleduplicate")
            if erased in json.dumps([change.before, change.after]).replace("-", "")
        ]
        assert left == []

    def test_erasing_a_household_member_takes_the_answers_on_their_goals_and_their_history(
        self, alice, member_with_a_goal
    ):
        case, member, goal, own_goal = member_with_a_goal
        theirs = CustomValue.objects.get(record_id=str(goal.pk)).pk
        assert Change.objects.filter(object_id=theirs).exclude(after__isnull=True).exists()
        erase_person(member, by=alice, reason="request")
        values = CustomValue.objects.filter(case=case)
        assert [(v.record_id, v.data) for v in values] == [
            (str(own_goal.pk), "Sentinelclientanswer")
        ]
        kept = Change.objects.filter(model="custom.customvalue").exclude(
            before__isnull=True, after__isnull=True
        )
        assert list(kept.values_list("object_id", flat=True)) == [values.get().pk]
        assert Change.objects.filter(object_id=theirs).exists()  # the rows stay, blanked

    def test_it_erases_every_identifying_trace_and_keeps_the_facts(
        self, two_stories, bob, django_capture_on_commit_callbacks
    ):
        mine, _theirs = two_stories
        facts_before = _facts(mine)
        files = [storage.path_for(d.pk) for d in Document.objects.filter(case=mine)]
        # (the register of data requests stays, so its current values stay, see below)
        history = _history_ciphertexts(mine, without="datarequest")
        assert len(history) > 20  # the history held the old values, as ciphertext
        with django_capture_on_commit_callbacks(execute=True):
            erase_person(mine.person, by=bob, reason="request")
        dump = _every_stored_value()
        assert [c for c in history if c in dump] == []  # not even encrypted (R22, R34)
        # The history keeps its rows (for its hash chain, issue 10 #6) without their values.
        about_mine = Change.objects.filter(Q(case_id=mine.pk) | Q(person_id=mine.person_id))
        assert not about_mine.filter(Q(before__isnull=False) | Q(after__isnull=False))
        assert Change.objects.filter(case_id=_theirs.pk).exists()
        assert files and not any(path.exists() for path in files)
        # The register of data requests is the organisation's: kept, unlinked (below).
        kept = {s for s in _sentinels(mine, "PPP") if s.startswith("PPP-DataRequest-")}
        leftovers = [s for s in _sentinels(mine, "PPP") - kept if _stored_anywhere(s)]
        assert leftovers == []
        assert (
            not _stored_anywhere("PPPgiven")
            and not SearchToken.objects.filter(person=mine.person).exists()
        )
        # No link left between the erased identity and another record (issue 11 #8).
        assert not PossibleDuplicate.objects.filter(Q(person=mine.person) | Q(other=mine.person))
        assert PossibleDuplicate.objects.filter(person=_theirs.person).exists()
        assert _facts(Case.objects.get(pk=mine.pk)) == facts_before
        assert _stored_anywhere("QQQ-Contact-note")  # someone else's data is untouched
        event = AuditEvent.objects.get(action="erase")
        assert event.detail.startswith("person #") and event.actor_id == bob.pk
        assert "PPP" not in event.detail
        assert not Document.objects.filter(case=mine).exists()
        assert Document.objects.filter(case=_theirs).exists()

    def test_it_is_needed_a_supervisor_with_a_fresh_password(
        self, two_stories, as_user, alice, bob
    ):
        mine, _theirs = two_stories
        entry = SubjectRequest.objects.create(
            person=mine.person,
            case=mine,
            kind="erasure",
            requested_on=days_ago(0),
            identity_check="in person",
            recorded_by=alice,
        )
        assert (
            as_user(alice).post(f"/privacy/subject-requests/{entry.pk}/erase/").status_code == 404
        )
        client = as_user(bob)  # signed in just now
        assert client.post(f"/privacy/subject-requests/{entry.pk}/erase/").status_code == 302
        assert Person.objects.get(pk=mine.person_id).erased_at is not None


class TestErasureKeepsWhatIsNotThePersons:
    """docs/security.md, issue 10 items 11 and 16."""

    def test_it_keeps_the_register_of_authority_requests_and_cuts_the_link_to_the_person(
        self, two_stories, bob
    ):
        mine, theirs = two_stories
        request = DataRequest.objects.get(case=mine)
        other = DataRequest.objects.get(case=theirs)
        erase_person(mine.person, by=bob, reason="request")
        request.refresh_from_db()
        assert request.case_id is None  # nothing leads from the register to the person
        assert request.requester == "PPP-DataRequest-requester"
        assert request.legal_basis == "PPP-DataRequest-legal_basis"
        assert request.data_requested == "PPP-DataRequest-data_requested"
        assert request.decision_note == "PPP-DataRequest-decision_note"
        assert request.requester_type == "authority" and request.recorded_by_id == bob.pk
        assert DataRequest.objects.get(pk=other.pk).case_id == theirs.pk

    def test_every_kept_register_can_lose_its_link_to_the_person(self):
        kept = [m for m in apps.get_models() if getattr(m, "KEPT_ON_ERASURE", False)]
        assert DataRequest in kept
        for model in kept:
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model in (Person, Case):
                    assert field.null, f"{model.__name__}.{field.name} must be nullable"

    def test_every_text_kept_in_clear_about_a_person_is_listed_as_not_theirs(self):
        """Erasure blanks the encrypted text of a person's records (found by introspection):
        a text kept in clear outlives it. Each one here is a code, a copy of the
        organisation's own register, or a reference Engage made; a field typed about the
        person must be encrypted (the language a consent was explained in was not)."""
        not_the_persons = {
            "cases.Case.reference",  # made by Engage
            "cases.Case.purpose",  # the purpose of processing (R36), the organisation's
            "cases.Case.age_band_at_referral",  # a kept fact, computed
            "cases.Closure.disengagement_factors",  # codes
            "cases.InclusionDecision.criteria",  # the organisation's criteria, by id
            "cases.Person.corrected_fields",  # field names, emptied by erasure
            "cases.PossibleDuplicate.reasons",  # field names; the rows go with erasure
            "custom.CustomValue.record_id",  # the rows go with erasure
            "custom.CustomValue.label_at_entry",
            "directory.Referral.categories",  # codes
            "documents.Document.content_type",  # the rows go with erasure
            "liaison.Letter.language",  # a language code of the letter
            "liaison.LiaisonRecord.categories",  # codes
            "sharing.Consent.recipient_name",  # the recipient's, from the register
            "sharing.Consent.categories",  # codes
            "sharing.Share.recipient_name",
            "sharing.Share.categories",
            "sharing.Share.cancel_reason",  # a code (sharing.models.CANCEL_REASONS)
        }
        in_clear = {
            f"{model._meta.label}.{field.name}"
            for model in _case_models() | {Person}
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
            and not getattr(field, "encrypted", False)
            and not field.choices
        }
        assert in_clear - not_the_persons == set()

    def test_it_deletes_a_waiting_import_that_lists_the_person_and_only_that_one(
        self, organisation, alice, bob, ada, as_user
    ):
        from engage.imports import services as imports
        from engage.imports import storage as import_files
        from engage.imports.models import ImportJob
        from tests.imports.conftest import HEADERS, csv_bytes, messy_rows

        case = CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name="Leyla",
            person__family_name="Erasetest",
        )
        rows = messy_rows()[:2]
        rows[1][0], rows[1][1] = "  LEYLA ", "Erasetest"
        listing = imports.upload(
            organisation, by=ada, filename="a.csv", data=csv_bytes(HEADERS, rows)
        )
        others = imports.upload(
            organisation, by=ada, filename="b.csv", data=csv_bytes(HEADERS, messy_rows()[:2])
        )
        done = imports.upload(organisation, by=ada, filename="c.csv", data=csv_bytes(HEADERS, rows))
        imports.discard(done, by=ada)
        erase_person(case.person, by=bob, reason="request")
        listing.refresh_from_db()
        assert listing.status == ImportJob.Status.ERASED
        assert not import_files.path_for(listing.pk).exists()
        assert listing.file_deleted_at is not None
        assert "Erasetest" not in listing.report and "Erasetest".lower() not in listing.report
        others.refresh_from_db()
        assert others.status == ImportJob.Status.UPLOADED
        assert import_files.path_for(others.pk).exists()
        assert AuditEvent.objects.filter(detail="import_erased").count() == 1
        page = as_user(ada).get(f"/imports/{listing.pk}/").content.decode()
        assert "A person listed in this file was erased" in page  # the admin reads why


def _history_ciphertexts(case: Case, without: str = "") -> set[str]:
    """The encrypted values the change history holds about the case and its person."""
    rows = Change.objects.filter(Q(case_id=case.pk) | Q(person_id=case.person_id))
    if without:
        rows = rows.exclude(model__iendswith=without)
    return {
        value
        for before, after in rows.values_list("before", "after")
        for values in (before or {}, after or {})
        for value in values.values()
        if isinstance(value, str) and value.startswith("gAAAA")
    }


def _facts(case: Case) -> dict:
    from engage.cases.facts import case_age_band

    return {
        "stage": case.stage,
        "referral": case.referral_date,
        "source": case.referral_source,
        "outcome": case.outcome,
        "age_band": case_age_band(case),
        "sex": case.person.sex,
        "nationality": str(case.person.nationality),
        "contacts": case.contacts.count(),
        "assessments": list(case.assessments.values_list("informed_decisions", "wellbeing")),
        "closures": list(case.closures.values_list("reason", "date")),
    }


def _stored_anywhere(sentinel: str) -> bool:
    """Whether any row of any model holds `sentinel`, read through the application (decrypted)."""
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for values in model.objects.values_list(*fields) if fields else []:
            if any(sentinel in str(v) for v in values):
                return True
    return False


class TestRetention:
    def _closed(self, organisation, alice, bob, closed_on):
        case = CaseFactory(
            organisation=organisation,
            case_manager=alice,
            referral_date=closed_on - datetime.timedelta(days=300),
        )
        Case.objects.filter(pk=case.pk).update(stage="closed", closure_date=closed_on)
        return case

    def test_it_erases_after_the_period_and_not_before_and_only_once(
        self, organisation, alice, bob
    ):
        organisation.retention_months = 24
        organisation.save()
        today = datetime.date(2026, 11, 22)
        kept = self._closed(organisation, alice, bob, datetime.date(2024, 11, 23))
        gone = self._closed(organisation, alice, bob, datetime.date(2024, 11, 21))
        still_open = CaseFactory(organisation=organisation, case_manager=alice)
        assert apply_retention(today) == {"BG-CLA": 1}
        assert Person.objects.get(pk=gone.person_id).erased_at is not None
        assert Person.objects.get(pk=kept.person_id).erased_at is None
        assert Person.objects.get(pk=still_open.person_id).erased_at is None
        assert apply_retention(today) == {"BG-CLA": 0}  # idempotent
        assert AuditEvent.objects.filter(action="erase").count() == 1

    def test_it_counts_the_period_to_the_organisations_own_today(
        self, organisation, alice, bob, settings
    ):
        """At 22:30 UTC on 22 November the server in Sofia is on 23 November, London is not: a
        London organisation keeping data 24 months erases a case closed on 22 November 2024
        only once its own 23 November has come."""
        settings.TIME_ZONE = "Europe/Sofia"
        organisation.time_zone = "Europe/London"
        organisation.retention_months = 24
        organisation.save()
        closed = self._closed(organisation, alice, bob, datetime.date(2024, 11, 22))
        evening = datetime.datetime(2026, 11, 22, 22, 30, tzinfo=datetime.UTC)
        with time_machine.travel(evening, tick=False):
            assert timezone.localdate() == datetime.date(2026, 11, 23)
            assert apply_retention() == {"BG-CLA": 0}
        assert Person.objects.get(pk=closed.person_id).erased_at is None
        with time_machine.travel(evening + datetime.timedelta(hours=2), tick=False):
            assert apply_retention() == {"BG-CLA": 1}
        assert Person.objects.get(pk=closed.person_id).erased_at is not None

    def test_it_keeps_a_person_who_came_back(self, organisation, alice, bob):
        old = self._closed(organisation, alice, bob, datetime.date(2020, 1, 1))
        CaseFactory(organisation=organisation, case_manager=alice, person=old.person)
        assert apply_retention(datetime.date(2026, 11, 22)) == {"BG-CLA": 0}

    def test_the_command_reports_what_it_did(self, organisation, alice, bob, capsys):
        self._closed(organisation, alice, bob, datetime.date(2020, 1, 1))
        call_command("apply_retention", today=datetime.date(2026, 11, 22))
        assert "BG-CLA: 1 person(s) erased" in capsys.readouterr().out
