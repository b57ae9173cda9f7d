"""Issue 10 #1: consent is checked again when data leaves (the download), every time.

A withdrawal or an expiry voids every share made under the consent that has not left yet; what
did leave is listed on the case's sharing page, so the case manager asks the recipient to
delete it.
"""

import datetime
import json
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from engage.accounts import services as accounts
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.privacy.services import erase_person
from engage.sharing import services
from engage.sharing.models import Consent, Recipient, Share
from tests.tasks.conftest import run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(
        organisation=organisation, case_manager=alice, person__given_name="Sentinelgiven"
    )


@pytest.fixture
def clinic(organisation):
    return Recipient.objects.create(organisation=organisation, name="Clinic", type="health")


@pytest.fixture
def consent(case, alice, clinic):
    return services.record_consent(
        case,
        by=alice,
        data={
            "person": case.person,
            "recipient": clinic,
            "purpose": "referral",
            "categories": ["identity", "contact"],
            "given_on": timezone.localdate() - datetime.timedelta(days=10),
            "expires_on": timezone.localdate() + datetime.timedelta(days=180),
            "language": "Arabic",
            "through_interpreter": False,
        },
    )


@pytest.fixture
def prepared(case, alice, clinic, consent) -> Share:
    """A share requested under the consent and produced: ready to be downloaded."""
    share = services.request_share(
        case,
        by=alice,
        person=case.person,
        recipient=clinic,
        purpose="referral",
        categories=["identity"],
    )
    services.produce_queued([share.pk])
    share.refresh_from_db()
    assert share.status == Share.Status.READY and "Sentinelgiven" in share.content
    return share


def _download(client, share):
    return client.get(f"/sharing/shares/{share.pk}/download/")


def _refusals(share):
    return AuditEvent.objects.filter(action=AuditEvent.Action.SHARE_REFUSED, object_id=share.pk)


def test_it_refuses_a_prepared_share_after_the_consent_is_withdrawn(
    as_user, alice, consent, prepared
):
    client = as_user(alice)
    response = client.post(f"/sharing/consents/{consent.pk}/withdraw/", {"note": "By phone"})
    assert response.status_code == 302
    prepared.refresh_from_db()
    assert prepared.status == Share.Status.CANCELLED and prepared.content == ""
    assert prepared.cancel_reason == "consent_withdrawn"
    response = _download(client, prepared)
    assert response.status_code == 403
    assert "Content-Disposition" not in response and "given_name" not in response.content.decode()
    assert "the person withdrew their consent" in response.content.decode()
    assert _refusals(prepared).get().detail == "hand_over:consent_withdrawn"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_it_checks_consent_at_the_hand_over_itself(as_user, alice, consent, prepared):
    """A withdrawal the voiding missed (written by another path, or racing) is caught too."""
    Consent.objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())
    response = _download(as_user(alice), prepared)
    assert response.status_code == 403
    assert "Content-Disposition" not in response and "given_name" not in response.content.decode()
    prepared.refresh_from_db()
    assert prepared.status == Share.Status.CANCELLED and prepared.content == ""
    refusal = _refusals(prepared).get()
    assert refusal.detail == "hand_over:consent_withdrawn" and refusal.high_severity


def test_it_refuses_a_prepared_share_once_the_consent_expired(as_user, alice, consent, prepared):
    Consent.objects.filter(pk=consent.pk).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    response = _download(as_user(alice), prepared)
    assert response.status_code == 403
    prepared.refresh_from_db()
    assert prepared.status == Share.Status.CANCELLED and prepared.content == ""
    assert _refusals(prepared).get().detail == "hand_over:consent_expired"


def test_the_scheduled_job_voids_prepared_shares_whose_consent_expired(consent, prepared):
    Consent.objects.filter(pk=consent.pk).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    out = StringIO()
    call_command("run_shares", stdout=out)
    assert "1 voided" in out.getvalue()
    prepared.refresh_from_db()
    assert prepared.status == Share.Status.CANCELLED and prepared.content == ""


def test_it_hands_over_and_records_what_left(as_user, alice, prepared):
    response = _download(as_user(alice), prepared)
    assert response.status_code == 200
    assert json.loads(response.content)["identity"]["given_name"] == "Sentinelgiven"
    prepared.refresh_from_db()
    assert prepared.status == Share.Status.SENT
    assert prepared.handed_over_at is not None and prepared.handed_over_by == alice
    assert AuditEvent.objects.filter(action="export", object_id=prepared.pk).count() == 1


def test_it_lists_what_left_before_a_withdrawal_to_ask_for_deletion(
    as_user, alice, case, consent, prepared
):
    client = as_user(alice)
    assert _download(client, prepared).status_code == 200
    withdraw_page = client.get(f"/sharing/consents/{consent.pk}/withdraw/").content.decode()
    assert "Already handed over" in withdraw_page
    client.post(f"/sharing/consents/{consent.pk}/withdraw/", {"note": ""})
    prepared.refresh_from_db()
    # It left: still listed as handed over, but the copy kept for downloads is gone.
    assert prepared.status == Share.Status.SENT and prepared.content == ""
    page = client.get(f"/sharing/cases/{case.pk}/").content.decode()
    assert "Data that left before the consent was withdrawn" in page
    assert "Ask each recipient to delete it" in page and "Clinic" in page
    # Downloading it again is refused: consent is checked at every hand-over.
    assert _download(client, prepared).status_code == 403
    response = client.post(f"/sharing/shares/{prepared.pk}/deletion-asked/")
    assert response.status_code == 302
    prepared.refresh_from_db()
    assert prepared.deletion_asked_at is not None and prepared.deletion_asked_by == alice
    assert AuditEvent.objects.filter(object_id=prepared.pk, detail="deletion_asked").exists()
    assert "Asked on" in client.get(f"/sharing/cases/{case.pk}/").content.decode()


def test_it_records_no_deletion_request_for_data_still_under_consent(as_user, alice, prepared):
    client = as_user(alice)
    _download(client, prepared)
    client.post(f"/sharing/shares/{prepared.pk}/deletion-asked/")
    prepared.refresh_from_db()
    assert prepared.deletion_asked_at is None


def test_a_withdrawal_voids_every_unsent_share_and_reports_those_that_left(
    alice, case, clinic, consent, prepared
):
    queued = services.request_share(
        case, by=alice, person=case.person, recipient=clinic, purpose="referral",
        categories=["contact"],
    )  # fmt: skip
    sent = services.request_share(
        case, by=alice, person=case.person, recipient=clinic, purpose="referral",
        categories=["identity", "contact"],
    )  # fmt: skip
    services.produce_queued([sent.pk])
    services.hand_over(sent, by=alice)
    withdrawn = services.withdraw_consent(consent, by=alice)
    assert withdrawn.voided == 2
    assert [share.pk for share in withdrawn.left] == [sent.pk]
    for share in (queued, prepared):
        share.refresh_from_db()
        assert share.status == Share.Status.CANCELLED and share.content == ""


@pytest.mark.django_db(transaction=True)
def test_it_says_the_share_is_ready_once_produced(as_user, alice, case, clinic, consent):
    from django.contrib.messages import get_messages

    response = as_user(alice).post(
        f"/sharing/cases/{case.pk}/share/",
        {
            "person": case.person_id,
            "recipient": clinic.pk,
            "purpose": "referral",
            "categories": ["identity", "contact"],
        },
    )
    assert response.status_code == 302
    assert Share.objects.get().status == Share.Status.QUEUED
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said == ["Share requested: Being prepared."]
    assert run_queued_tasks() == [{"produced": 1, "cancelled": 0}]  # the worker's task
    assert Share.objects.get().status == Share.Status.READY


def test_it_lets_nothing_of_an_erased_person_leave_whenever_the_share_was_asked(
    as_user, alice, bob, case, clinic, consent
):
    """A share queued before the person's erasure was produced by its task after it, from
    what erasure keeps (the case reference, nationality, migration status, detention), and
    handed over under the consent, still in force; new shares and consents were taken too."""
    queued = services.request_share(
        case, by=alice, person=case.person, recipient=clinic, purpose="referral",
        categories=["identity"],
    )  # fmt: skip
    erase_person(case.person, by=bob, reason="request")
    assert run_queued_tasks() == [{"produced": 0, "cancelled": 1}]
    queued.refresh_from_db()
    assert queued.status == Share.Status.CANCELLED and queued.content == ""
    assert queued.cancel_reason == "person_erased"
    assert queued.cancel_reason_display == "the person's data was erased"
    response = _download(as_user(alice), queued)
    assert response.status_code == 403
    assert "Content-Disposition" not in response and "nationality" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
    with pytest.raises(ValidationError, match="data was erased"):
        services.request_share(
            case, by=alice, person=case.person, recipient=clinic, purpose="referral",
            categories=["identity"],
        )  # fmt: skip
    with pytest.raises(ValidationError, match="data was erased"):
        services.record_consent(case, by=alice, data={
            "person": case.person, "recipient": clinic, "purpose": "referral",
            "categories": ["identity"], "given_on": timezone.localdate(),
            "expires_on": timezone.localdate() + datetime.timedelta(days=30),
            "language": "Arabic", "through_interpreter": False})  # fmt: skip
    assert Share.objects.count() == 1 and Consent.objects.count() == 1


def test_an_override_leaves_only_while_its_author_may_still_override(
    as_user, alice, bob, ada, case, clinic
):
    """Consent was checked again at every hand-over, but an override's own authority was
    not: once an admin took the permission back (or deactivated its author) after the high
    severity entry, the share it made still left, by its author or a colleague."""
    alice.may_override_consent = True
    alice.save()

    def override():
        return services.request_share(
            case, by=alice, person=case.person, recipient=clinic, purpose="referral",
            categories=["identity"], override_reason="Urgent surgery", recently_authenticated=True,
        )  # fmt: skip

    taken_back, deactivated = override(), override()
    run_queued_tasks()
    alice.refresh_from_db()
    accounts.update_user(
        alice, by=ada, expected_version=alice.version, role=alice.role, team=alice.team,
        first_name=alice.first_name, last_name=alice.last_name, email=alice.email,
        may_override_consent=False,
    )  # fmt: skip
    response = _download(as_user(alice), taken_back)
    assert response.status_code == 403 and "Content-Disposition" not in response
    assert "may no longer do so" in response.content.decode()  # why, not a bare "cancelled"
    alice.may_override_consent = True
    alice.save()
    accounts.deactivate_user(alice, by=ada)
    response = _download(as_user(bob), deactivated)
    assert response.status_code == 403 and "Content-Disposition" not in response
    for share in (taken_back, deactivated):
        share.refresh_from_db()
        assert share.status == Share.Status.CANCELLED and share.content == ""
        assert share.cancel_reason_display == "whoever overrode the consent may no longer do so"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_every_reason_a_share_is_voided_for_is_said_in_the_readers_words():
    """The sharing page says why a share was cancelled from `CANCEL_REASONS`: a reason left
    out there showed a bare "Cancelled"."""
    import ast
    import inspect

    from engage.sharing.models import CANCEL_REASONS

    tree = ast.parse(inspect.getsource(services))
    voiding = {
        call.args[0].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and getattr(call.func, "id", "") == "Obstacle"
        and len(call.args) == 3
        and isinstance(call.args[0], ast.Constant)
        and getattr(call.args[2], "value", False) is True
    }
    assert {"person_erased", "override_withdrawn", "enforcement"} <= voiding
    assert voiding <= set(CANCEL_REASONS)


# 22:30 UTC on 22 November: 22 November in London, already 23 November on a server in Sofia.
LONDON_EVENING = datetime.datetime(2026, 11, 22, 22, 30, tzinfo=datetime.UTC)


@pytest.fixture
def in_london(settings, organisation):
    """A London organisation on a server in Sofia."""
    settings.TIME_ZONE = "Europe/Sofia"
    organisation.time_zone = "Europe/London"
    organisation.save()


def _holds_to_22_november(consent):
    Consent.objects.filter(pk=consent.pk).update(
        given_on=datetime.date(2026, 11, 1), expires_on=datetime.date(2026, 11, 22)
    )


def test_it_voids_a_share_only_once_the_consent_expired_where_the_organisation_works(
    in_london, consent, prepared
):
    _holds_to_22_november(consent)
    with time_machine.travel(LONDON_EVENING, tick=False):
        assert timezone.localdate() == datetime.date(2026, 11, 23)
        assert services.void_lapsed() == 0
    prepared.refresh_from_db()
    assert prepared.status == Share.Status.READY
    with time_machine.travel(LONDON_EVENING + datetime.timedelta(hours=2), tick=False):
        assert services.void_lapsed() == 1
    prepared.refresh_from_db()
    assert prepared.status == Share.Status.CANCELLED


def test_it_produces_a_share_on_the_last_day_of_its_consent_where_the_organisation_works(
    in_london, case, alice, clinic, consent
):
    """Queued from a page in London on its last day; the worker, in Sofia, is on the next."""
    _holds_to_22_november(consent)
    with time_machine.travel(LONDON_EVENING, tick=False):
        with timezone.override(zoneinfo.ZoneInfo("Europe/London")):
            share = services.request_share(
                case,
                by=alice,
                person=case.person,
                recipient=clinic,
                purpose="referral",
                categories=["identity"],
            )
        assert timezone.localdate() == datetime.date(2026, 11, 23)
        assert services.produce_queued([share.pk]) == {"produced": 1, "cancelled": 0}
    share.refresh_from_db()
    assert share.status == Share.Status.READY
