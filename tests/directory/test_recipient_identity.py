"""Issue 10 #2: renaming a service must not carry the consents recorded for it to the new name.

A consent names the recipient as the client agreed to it (name and kind); once a consent or a
share names a recipient, its identity is fixed: renaming the service gives it a new recipient.
"""

import pytest
from django.core.exceptions import ValidationError

from engage.audit.models import AuditEvent
from engage.directory import services
from engage.directory.models import Service
from engage.sharing import screening
from engage.sharing import services as sharing
from engage.sharing.models import Consent, Recipient, Share
from tests.directory.conftest import SHELTER, give_consent, refer

pytestmark = pytest.mark.django_db

CLINIC = dict(SHELTER, name="Sofia health centre", type="healthcare")


@pytest.fixture
def clinic(organisation, bob):
    return services.save_service(organisation, by=bob, data=dict(CLINIC))


def _edit(client, service, **changes):
    data = {k: v for k, v in (CLINIC | changes).items() if v is not False}
    data["version"] = Service.objects.get(pk=service.pk).version
    return client.post(f"/directory/services/{service.pk}/edit/", data)


def test_it_keeps_the_consent_on_the_service_as_the_client_agreed_to_it(
    as_user, alice, bob, active_case, clinic
):
    consent = give_consent(active_case, alice, clinic)
    response = _edit(as_user(bob), clinic, name="Sofia municipal desk")
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.name == "Sofia municipal desk"
    # The service has a new recipient; the consent still names the one the client agreed to.
    consent.refresh_from_db()
    assert clinic.recipient_id != consent.recipient_id
    old = Recipient.objects.get(pk=consent.recipient_id)
    assert (old.name, old.type, old.active) == ("Sofia health centre", "health", False)
    assert (consent.recipient_name, consent.recipient_type) == ("Sofia health centre", "health")
    # So the renamed service is not covered: a referral disclosing data is refused.
    with pytest.raises(services.ReferralRefused):
        refer(active_case, alice, clinic)
    assert AuditEvent.objects.get(action="share_refused").detail == "no_consent"
    # And the client's consent list shows the recipient as consented.
    page = as_user(alice).get(f"/sharing/cases/{active_case.pk}/").content.decode()
    assert "Sofia health centre" in page
    assert "Sofia municipal desk" not in page


def test_it_voids_unsent_shares_to_the_renamed_service(alice, bob, active_case, clinic):
    give_consent(active_case, alice, clinic)
    referral = refer(active_case, alice, clinic)
    sharing.produce_queued()
    services.save_service(
        clinic.organisation,
        by=bob,
        data=dict(CLINIC, name="Migration desk"),
        service=clinic,
        expected_version=clinic.version,
    )
    share = Share.objects.get(pk=referral.share_id)
    assert share.status == Share.Status.CANCELLED and share.content == ""
    assert share.cancel_reason == "recipient_renamed"


def test_it_renames_a_service_no_consent_names_in_place(organisation, bob, clinic):
    recipient_id = clinic.recipient_id
    services.save_service(
        organisation,
        by=bob,
        data=dict(CLINIC, name="Sofia community clinic"),
        service=clinic,
        expected_version=clinic.version,
    )
    clinic.refresh_from_db()
    assert clinic.recipient_id == recipient_id
    assert Recipient.objects.get(pk=recipient_id).name == "Sofia community clinic"


def test_it_refuses_to_change_the_kind_of_a_service_a_consent_names(
    as_user, alice, bob, active_case, clinic
):
    give_consent(active_case, alice, clinic)
    response = _edit(as_user(bob), clinic, type="legal_aid")
    assert response.status_code == 200
    assert "its kind cannot change" in response.content.decode()
    assert Recipient.objects.get(pk=clinic.recipient_id).type == "health"
    assert Service.objects.get(pk=clinic.pk).type == "healthcare"


def test_a_consent_does_not_follow_a_recipient_renamed_behind_the_services_back(
    alice, active_case, clinic
):
    """Even a rename written straight to the table does not carry the consent."""
    give_consent(active_case, alice, clinic)
    Recipient.objects.filter(pk=clinic.recipient_id).update(name="Sofia municipal desk")
    clinic.refresh_from_db()
    with pytest.raises(services.ReferralRefused):
        refer(active_case, alice, clinic)
    assert AuditEvent.objects.get(action="share_refused").detail == "no_consent"


def test_a_prepared_share_does_not_leave_for_a_recipient_whose_kind_changed(
    alice, active_case, clinic
):
    give_consent(active_case, alice, clinic)
    referral = refer(active_case, alice, clinic)
    sharing.produce_queued()
    Recipient.objects.filter(pk=clinic.recipient_id).update(type="authority")
    share = Share.objects.get(pk=referral.share_id)
    with pytest.raises(sharing.SharingRefused):
        sharing.hand_over(share, by=alice)
    share.refresh_from_db()
    assert share.status == Share.Status.CANCELLED and share.content == ""
    assert Consent.objects.get().recipient_type == "health"


def test_it_warns_when_a_service_is_named_like_an_enforcement_body(as_user, bob, clinic):
    response = _edit(as_user(bob), clinic, name="Immigration Office")
    assert response.status_code == 302
    page = as_user(bob).get(response.url).content.decode()
    assert "resembles an enforcement body" in page


@pytest.mark.parametrize("renamed", [False, True])
def test_it_keeps_a_service_found_to_be_immigration_enforcement_so_whatever_its_edit(
    as_user, ada, alice, bob, active_case, clinic, renamed
):
    """An admin finds the "clinic" is immigration enforcement; its supervisor's next edit of
    the service (a phone number, or a new name) made it a health recipient again."""
    sharing.correct_kind(Recipient.objects.get(pk=clinic.recipient_id), by=ada, type="enforcement")
    changes = {"name": "Sofia clinic, 2nd floor"} if renamed else {"phone": "+359 2 000 0001"}
    response = _edit(as_user(bob), clinic, **changes)
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert Recipient.objects.get(pk=clinic.recipient_id).type == "enforcement"
    with pytest.raises(ValidationError, match="immigration enforcement"):
        give_consent(active_case, alice, clinic)
    with pytest.raises(services.ReferralRefused, match="immigration enforcement"):
        refer(active_case, alice, clinic)


def test_renaming_a_service_does_not_take_it_out_of_a_second_persons_wait(
    ada, alice, bob, active_case, clinic
):
    """A kind corrected away from immigration enforcement waits for a second person; a rename
    of its service gave a new recipient that waited for nobody."""
    give_consent(active_case, alice, clinic)  # so a rename gives a new recipient
    recipient = Recipient.objects.get(pk=clinic.recipient_id)
    sharing.correct_kind(recipient, by=ada, type="enforcement")
    sharing.correct_kind(recipient, by=ada, type="health")
    assert screening.held(Recipient.objects.get(pk=recipient.pk))
    clinic.refresh_from_db()
    services.save_service(
        clinic.organisation,
        by=ada,
        data=dict(CLINIC, name="Sofia health centre B"),
        service=clinic,
        expected_version=clinic.version,
    )
    clinic.refresh_from_db()
    assert clinic.recipient_id != recipient.pk
    assert screening.held(clinic.recipient)
    with pytest.raises(ValidationError, match="second person"):
        give_consent(active_case, alice, clinic)


def test_a_service_edit_leaves_a_recipient_an_admin_took_out_of_use_out_of_use(
    as_user, ada, alice, bob, active_case, clinic
):
    """The admin takes the clinic's recipient out of use (the Recipients page): nothing is
    shared with it. The supervisor's next edit of the service (a phone number) copied the
    service's "in use" onto it, and data could be shared with it again."""
    recipient = Recipient.objects.get(pk=clinic.recipient_id)
    sharing.set_recipient_in_use(recipient, by=ada, active=False)
    assert _edit(as_user(bob), clinic, phone="+359 2 000 0001").status_code == 302
    assert Recipient.objects.get(pk=recipient.pk).active is False
    # The service itself taken out of use and back: its recipient follows, as before.
    assert _edit(as_user(bob), clinic, active=False).status_code == 302
    assert _edit(as_user(bob), clinic, active=True).status_code == 302
    assert Recipient.objects.get(pk=recipient.pk).active is True
