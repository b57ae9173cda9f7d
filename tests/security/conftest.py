"""Another organisation's complete world, every record marked with a sentinel no page of the
first organisation may ever show."""

import json
import time

import pytest
from django.test import Client

from engage.accounts.factories import TeamFactory, UserFactory
from engage.accounts.models import Role
from engage.accounts.permissions import AUTHENTICATED_AT
from engage.api.tokens import create_token
from engage.cases import duplicates, services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.custom import services as custom_services
from engage.directory import services as directory
from engage.documents.services import attach
from engage.imports import services as imports
from engage.imports.models import SavedMapping
from engage.liaison import services as liaison
from engage.mel import services as mel
from engage.mel.models import ReportRun
from engage.network import services as network
from engage.privacy.models import SubjectRequest
from engage.sharing import services as sharing
from engage.sharing.models import DataRequest, Recipient
from tests.documents.test_documents import png_bytes

# Every name and free text of the other organisation starts with this.
FOREIGN = "Zzforeign"


@pytest.fixture
def oscar(other_organisation):
    """The supervisor of Charlie's team, in the other organisation."""
    return UserFactory(
        username="oscar",
        first_name="Oscar",
        last_name=f"{FOREIGN}supervisor",
        role=Role.SUPERVISOR,
        organisation=other_organisation,
    )


@pytest.fixture
def foreign(other_organisation, charlie, olga, oscar) -> dict:
    """Charlie's organisation with one object of every kind that a URL names.

    The case is taken through the process (included, assessed, an agreed plan with a goal and
    an action, a contact, consent and a share, documents, requests of the person and of an
    authority, and a closure waiting for approval), so each kind exists.
    """
    organisation = other_organisation
    organisation.name = f"{FOREIGN} pilot"
    organisation.save()
    team = TeamFactory(organisation=organisation, name=f"{FOREIGN} team", leader=oscar)
    for user, last_name in ((charlie, "staff"), (olga, "admin"), (oscar, "supervisor")):
        user.team = team if user is not olga else None
        user.last_name = f"{FOREIGN}{last_name}"
        user.save()
    criterion = services.add_criterion(organisation, by=olga, text=f"{FOREIGN} criterion")
    case = CaseFactory(
        organisation=organisation,
        case_manager=charlie,
        person__given_name=f"{FOREIGN}client",
        person__family_name=f"{FOREIGN}family",
        person__phone="+357 99 123 456",
    )
    case, plan = to_active(case, charlie, oscar)
    goal = plan.goals.get()
    services.log_contact(
        case,
        by=charlie,
        data={
            "date": days_ago(3),
            "type": "phone",
            "engagement_level": "active",
            "note": f"{FOREIGN} contact note",
        },
    )
    recipient = Recipient.objects.create(
        organisation=organisation, name=f"{FOREIGN} recipient", type="legal_aid"
    )
    enforcement_body = sharing.add_enforcement_body(
        organisation, by=olga, name=f"{FOREIGN} aliens office"
    )
    consent = sharing.record_consent(
        case,
        by=charlie,
        data={
            "person": case.person,
            "recipient": recipient,
            "purpose": "referral",
            "categories": ["identity", "notes"],
            "given_on": days_ago(1),
            "expires_on": days_ago(-100),
            "language": f"{FOREIGN}language",
            "through_interpreter": False,
        },
    )
    share = sharing.request_share(
        case,
        by=charlie,
        person=case.person,
        recipient=recipient,
        purpose="referral",
        categories=["identity", "notes"],
    )
    sharing.produce_queued()
    requests = {
        kind: SubjectRequest.objects.create(
            person=case.person,
            case=case,
            kind=kind,
            requested_on=days_ago(0),
            identity_check=f"{FOREIGN} passport seen",
            recorded_by=charlie,
        )
        for kind in (SubjectRequest.Kind.ACCESS, SubjectRequest.Kind.ERASURE)
    }
    data_request = DataRequest.objects.create(
        organisation=organisation,
        case=case,
        received_on=days_ago(0),
        requester=f"{FOREIGN} requester",
        requester_type="authority",
        legal_basis=f"{FOREIGN} basis",
        data_requested=f"{FOREIGN} data",
        recorded_by=oscar,
    )
    document = attach(case, by=charlie, kind="other", title=f"{FOREIGN} document", data=png_bytes())
    closure = services.request_closure(
        case,
        by=charlie,
        data={
            "date": days_ago(0),
            "reason": "transferred",
            "note": f"{FOREIGN} closure note",
            "onward_referral": f"{FOREIGN} onward",
        },
    )
    # Not shared with the network: shared services are visible to the network by design.
    service = directory.save_service(
        organisation,
        by=olga,
        data={"name": f"{FOREIGN} shelter", "type": "accommodation", "city": f"{FOREIGN}city"},
    )
    contact_person = directory.save_contact(
        service, by=olga, data={"name": f"{FOREIGN} contact", "phone": "+357 22 000 000"}
    )
    referral = directory.make_referral(
        case, by=charlie, service=service, made_on=days_ago(1), categories=[]
    )
    authority = Recipient.objects.create(
        organisation=organisation, name=f"{FOREIGN} migration office", type="authority"
    )
    liaison_record = liaison.record_liaison(
        case,
        by=charlie,
        kind="meeting",
        date=days_ago(1),
        authority=authority,
        categories=[],
        summary=f"{FOREIGN} liaison summary",
    )
    obligation = liaison.save_obligation(
        case,
        by=charlie,
        data={
            "place": f"{FOREIGN} police station",
            "frequency": "weekly",
            "start_date": days_ago(7),
            "note": f"{FOREIGN} reporting note",
        },
    )
    reporting_event = liaison.record_reporting(
        obligation, by=charlie, date=days_ago(7), status="missed", note=f"{FOREIGN} missed"
    )
    letter_template = liaison.save_template(
        organisation,
        by=olga,
        data={"name": f"{FOREIGN} letter", "kind": "letter", "language": "en", "body": "Hello"},
    )
    # The stakeholder map, activities and budget of the organisation (never shared).
    stakeholder = network.save_stakeholder(
        by=olga,
        data={"name": f"{FOREIGN} ministry", "actor_type": "national_authority",
              "level": "national", "country": "CY", "city": "", "description": "",
              "shared": False},
    )  # fmt: skip
    interaction = network.log_interaction(
        stakeholder, by=olga,
        data={"date": days_ago(2), "type": "meeting", "people": f"{FOREIGN} official",
              "note": f"{FOREIGN} interaction note"},
    )  # fmt: skip
    activity = network.save_activity(
        by=olga,
        data={"kind": "training", "title": f"{FOREIGN} training", "date": days_ago(2),
              "participants": 8, "participants_lived_experience": 2, "country": "CY",
              "city": "", "note": f"{FOREIGN} activity note"},
    )  # fmt: skip
    # Another one for the walk's removal URL, which would otherwise remove the first.
    spare_activity = network.save_activity(
        by=olga, data={"kind": "concept_note", "title": f"{FOREIGN} note", "date": days_ago(3)}
    )
    budget = network.save_budget(
        by=olga,
        data={"start": days_ago(60), "end": days_ago(30), "amount": 1000, "currency": "EUR",
              "covers": f"{FOREIGN} budget covers"},
    )  # fmt: skip
    api_token, _secret = create_token(charlie, name=f"{FOREIGN} token", expires_on=days_ago(-30))
    import_job = imports.upload(
        organisation,
        by=olga,
        filename=f"{FOREIGN}.csv",
        data=f"given name;referral date\n{FOREIGN}row;2024-01-02\n".encode(),
    )
    saved_mapping = SavedMapping.objects.create(
        organisation=organisation, name=f"{FOREIGN} mapping", mapping=import_job.mapping
    )
    linkage_round = mel.open_round(
        organisation, name=f"{FOREIGN} round", key=f"{FOREIGN}-round-key-0123456789", by=olga
    )
    appointment = services.plan_appointment(
        case,
        by=charlie,
        data={"date": days_ago(-2), "kind": "home_visit", "place": f"{FOREIGN} home"},
    )
    twin = CaseFactory(organisation=organisation, case_manager=charlie,
                       person__given_name=f"{FOREIGN}twin")  # fmt: skip
    (possible_duplicate,) = duplicates.flag(
        twin.person, [duplicates.Match(case.person_id, ("phone",))], by=charlie
    )
    custom_field = custom_services.define_field(
        organisation,
        by=olga,
        form="referral",
        type="choice",
        label=f"{FOREIGN} question",
        options=[f"{FOREIGN} answer"],
    )
    custom_services.save_values(
        case, "referral", case.pk, {custom_field.key: custom_field.options.get().key}, by=charlie
    )
    case.refresh_from_db()
    # A report of the pilot's figures its admin asked for, made (mel.runs).
    report_run = ReportRun.objects.create(
        requested_by=olga, organisation=organisation, start="2024-01", end="2024-06",
        pilots=[organisation.code], source="live", level="network", fingerprint="0" * 64,
        data_version="0", status=ReportRun.Status.DONE,
        report=json.dumps(mel.report_for(start="2024-01", end="2024-06", pilots=[organisation.code],
                                         source="live", level="network", by=olga)),
    )  # fmt: skip
    return {
        "report_run": report_run,
        "custom_field": custom_field,
        "appointment": appointment,
        "possible_duplicate": possible_duplicate,
        "import_job": import_job,
        "linkage_round": linkage_round,
        "saved_mapping": saved_mapping,
        "contact": case.contacts.latest("created_at"),
        "assessment": case.assessments.latest("created_at"),
        "api_token": api_token,
        "service": service,
        "contact_person": contact_person,
        "referral": referral,
        "stakeholder": stakeholder,
        "interaction": interaction,
        "activity": activity,
        "spare_activity": spare_activity,
        "budget": budget,
        "liaison_record": liaison_record,
        "obligation": obligation,
        "reporting_event": reporting_event,
        "letter_template": letter_template,
        "organisation": organisation,
        "case": case,
        "person": case.person,
        "decision": case.inclusion_decisions.get(),
        "plan": plan,
        "goal": goal,
        "action": goal.actions.get(),
        "closure": closure,
        "consent": consent,
        "share": share,
        "access_request": requests[SubjectRequest.Kind.ACCESS],
        "erasure_request": requests[SubjectRequest.Kind.ERASURE],
        "data_request": data_request,
        "recipient": recipient,
        "enforcement_body": enforcement_body,
        "document": document,
        "criterion": criterion,
        "user": charlie,
        "team": team,
    }


def foreign_sentinels(foreign: dict) -> list[str]:
    """What no response to an outsider may contain: names, texts, the reference, the ids."""
    return [FOREIGN, foreign["case"].reference, *(str(obj.pk) for obj in foreign.values())]


def stepped_up(user) -> Client:
    """A client signed in as `user`, who has just typed their password again (step-up).

    With step-up done, views behind `recent_authentication_required` reach their loaders, so the
    scoping is what answers, not the password prompt.
    """
    client = Client()
    client.force_login(user)
    session = client.session
    session[AUTHENTICATED_AT] = time.time()
    session.save()
    return client


def csp_directives(response) -> dict[str, str]:
    """The response's Content-Security-Policy as {directive: sources}."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, _, sources = part.strip().partition(" ")
        directives[name] = sources.strip()
    return directives
