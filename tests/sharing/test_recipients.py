"""Issue 10 #2: a kind an admin chooses cannot launder an enforcement body.

Recipients' names are screened against the organisation's list of enforcement bodies (built-in
words and its own entries); a match waits for a second person. A kind can be corrected, audited,
and the consents given for the old kind lapse.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.sharing import screening, services
from engage.sharing.models import EnforcementBody, Recipient, Share
from engage.sharing.views import PAGE_SIZE

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(
        organisation=organisation, case_manager=alice, person__given_name="Sentinelgiven"
    )


def _consent_data(case, recipient):
    return {
        "person": case.person,
        "recipient": recipient,
        "purpose": "referral",
        "categories": ["identity"],
        "given_on": timezone.localdate() - datetime.timedelta(days=1),
        "expires_on": timezone.localdate() + datetime.timedelta(days=100),
        "language": "French",
        "through_interpreter": False,
    }


def _share(case, alice, recipient):
    return services.request_share(
        case,
        by=alice,
        person=case.person,
        recipient=recipient,
        purpose="referral",
        categories=["identity"],
    )


def _add(client, name, kind):
    return client.post("/sharing/recipients/", {"name": name, "type": kind})


class TestScreening:
    def test_an_immigration_office_entered_as_health_waits_for_a_second_person(
        self, as_user, ada, alice, bob, case
    ):
        client = as_user(ada)
        response = _add(client, "Immigration Office", "health")
        assert response.status_code == 302
        office = Recipient.objects.get(name="Immigration Office")
        assert office.type == "health" and screening.held(office)
        page = client.get("/sharing/recipients/").content.decode()
        assert "Waiting for a second person" in page
        # Nothing can be consented to or shared with it meanwhile.
        with pytest.raises(ValidationError) as error:
            services.record_consent(case, by=alice, data=_consent_data(case, office))
        assert "second person" in str(error.value)
        with pytest.raises(services.SharingRefused):
            _share(case, alice, office)
        refusal = AuditEvent.objects.get(action="share_refused")
        assert refusal.detail == "recipient_unconfirmed" and refusal.high_severity
        # The admin who entered it cannot confirm it herself.
        own = client.get(f"/sharing/recipients/{office.pk}/confirm/").content.decode()
        assert "Record my answer" not in own
        client.post(f"/sharing/recipients/{office.pk}/confirm/", {"decision": "not_enforcement"})
        assert screening.held(Recipient.objects.get(pk=office.pk))
        # A second person, the supervisor, finds it and answers.
        bob_client = as_user(bob)
        waiting = bob_client.get("/sharing/recipients/to-confirm/").content.decode()
        assert "Immigration Office" in waiting
        response = bob_client.post(
            f"/sharing/recipients/{office.pk}/confirm/", {"decision": "enforcement"}
        )
        assert response.status_code == 302
        office.refresh_from_db()
        assert office.type == "enforcement"
        assert AuditEvent.objects.filter(
            action="approve", object_id=office.pk, actor_id=bob.pk, high_severity=True
        ).exists()
        with pytest.raises(services.SharingRefused, match="immigration enforcement"):
            _share(case, alice, office)

    def test_a_second_persons_confirmation_lets_it_receive_data(self, ada, alice, bob, case):
        clinic = services.create_recipient(
            case.organisation, by=ada, name="Police medical service", type="health"
        )
        assert screening.warning(clinic) == "name:police"
        clinic = services.confirm_recipient(clinic, by=bob, enforcement=False)
        services.record_consent(case, by=alice, data=_consent_data(case, clinic))
        assert _share(case, alice, clinic).status == Share.Status.QUEUED
        # The confirmation holds for that name and kind only.
        Recipient.objects.filter(pk=clinic.pk).update(name="Police station")
        clinic.refresh_from_db()
        assert screening.held(clinic)

    @pytest.mark.parametrize(
        "name",
        [
            "IMMIGRATION-OFFICE",
            "I.m.m.i.g.r.a.t.i.o.n office",
            "P\u043elice",  # with a Cyrillic o
            "Straż Graniczna, Warsaw",
            "Office des Étrangers",
            "Гранична полиция Sofia",
            "Ministry of Interior, migration desk",
        ],
    )
    def test_it_sees_through_spelling(self, organisation, name):
        recipient = Recipient.objects.create(organisation=organisation, name=name, type="health")
        assert screening.held(recipient), name

    @pytest.mark.parametrize(
        "name",
        ["Immigration Off1ce", "Pol1ce desk", "Pol!ce desk", "B0rder Guard", "Imm1grat10n 0ffice",
         "Bundespol|zei", "Home 0ff1ce liaison", "Pol|ce"],
    )  # fmt: skip
    def test_it_sees_through_digits_and_signs_written_for_letters(self, organisation, name):
        """Red team (issue 10 #2): a 1 or a ! written for an i got a name past the screening."""
        recipient = Recipient.objects.create(organisation=organisation, name=name, type="health")
        assert screening.held(recipient), name

    def test_it_does_not_hold_ordinary_services(self, organisation):
        for name in ("Sofia legal aid clinic", "Policlinic Nord", "Migration office", "Shelter"):
            recipient = Recipient.objects.create(
                organisation=organisation, name=name, type="health"
            )
            assert not screening.held(recipient), name

    def test_it_screens_created_recipients_by_any_path(self, organisation, alice, case):
        """Written straight to the table, never through the service: still held."""
        office = Recipient.objects.create(
            organisation=organisation, name="Border Guard liaison", type="social"
        )
        with pytest.raises(services.SharingRefused):
            _share(case, alice, office)

    def test_the_organisation_adds_its_own_enforcement_bodies(
        self, as_user, ada, bob, organisation
    ):
        local = Recipient.objects.create(
            organisation=organisation, name="Busmantsi centre", type="housing"
        )
        assert not screening.held(local)
        client = as_user(ada)
        response = client.post("/sharing/recipients/screening/", {"name": "Busmantsi"})
        assert response.status_code == 302
        assert screening.held(local)
        entry = EnforcementBody.objects.get()
        services.confirm_recipient(local, by=bob, enforcement=False)  # a second person's word
        client.post(f"/sharing/recipients/screening/{entry.pk}/remove/")
        assert not EnforcementBody.objects.exists()
        removal = AuditEvent.objects.get(object_id=entry.pk, detail="removed")
        assert removal.high_severity
        page = client.get("/sharing/recipients/screening/").content.decode()
        assert "border guard" in page  # the built-in words, always there

    def test_one_admin_cannot_release_a_held_recipient_by_taking_its_entry_off_the_list(
        self, as_user, ada, alice, case, organisation
    ):
        """Red team (issue 10 #2): a recipient held by the organisation's own entry waits for a
        second person, yet the admin who set it could remove the entry and share at once."""
        client = as_user(ada)
        client.post("/sharing/recipients/screening/", {"name": "Busmantsi"})
        camp = services.create_recipient(
            organisation, by=ada, name="Busmantsi centre", type="housing"
        )
        assert screening.held(camp)
        entry = EnforcementBody.objects.get()
        response = client.post(f"/sharing/recipients/screening/{entry.pk}/remove/", follow=True)
        assert EnforcementBody.objects.filter(pk=entry.pk).exists()
        assert "Busmantsi centre" in response.content.decode()
        assert screening.held(camp)
        with pytest.raises(services.SharingRefused):
            _share(case, alice, camp)


class TestKindCorrection:
    def test_it_corrects_a_kind_audited_and_the_consents_lapse(
        self, as_user, ada, alice, case, organisation
    ):
        clinic = Recipient.objects.create(organisation=organisation, name="Clinic", type="health")
        services.record_consent(case, by=alice, data=_consent_data(case, clinic))
        share = _share(case, alice, clinic)
        services.produce_queued([share.pk])
        response = as_user(ada).post(
            f"/sharing/recipients/{clinic.pk}/kind/", {"type": "enforcement", "version": 1}
        )
        assert response.status_code == 302
        clinic.refresh_from_db()
        assert clinic.type == "enforcement"
        event = AuditEvent.objects.get(object_id=clinic.pk, action="update")
        assert event.detail.startswith("kind_corrected:health->enforcement")
        assert event.high_severity and event.actor_id == ada.pk
        share.refresh_from_db()
        assert share.status == Share.Status.CANCELLED and share.content == ""

    def test_a_kind_corrected_away_from_enforcement_waits_for_a_second_person(
        self, ada, bob, alice, case, organisation
    ):
        police = Recipient.objects.create(
            organisation=organisation, name="Regional office", type="enforcement"
        )
        services.correct_kind(police, by=ada, type="social")
        police.refresh_from_db()
        assert screening.warning(police) == "kind_corrected"
        with pytest.raises(services.SharingRefused):
            _share(case, alice, police)
        with pytest.raises(ValidationError):
            services.confirm_recipient(police, by=ada, enforcement=False)
        services.confirm_recipient(police, by=bob, enforcement=False)
        police.refresh_from_db()
        assert not screening.held(police)

    def test_it_refuses_a_stale_kind_correction_and_keeps_the_first(
        self, as_user, ada, organisation
    ):
        from engage.accounts.factories import UserFactory
        from engage.accounts.models import Role

        clinic = Recipient.objects.create(organisation=organisation, name="Clinic", type="health")
        other_admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
        url = f"/sharing/recipients/{clinic.pk}/kind/"
        # Both admins open the page while the clinic is recorded as health.
        for admin in (ada, other_admin):
            page = as_user(admin).get(url).content.decode()
            assert 'name="version" value="1"' in page
        assert as_user(ada).post(url, {"type": "social", "version": 1}).status_code == 302
        response = as_user(other_admin).post(url, {"type": "ngo", "version": 1})
        assert response.status_code == 200
        form = response.context["form"]
        assert "Someone else changed this record" in " ".join(form.non_field_errors())
        # Her choice is still the one selected on the form shown again.
        assert '<option value="ngo" selected>' in response.content.decode()
        clinic.refresh_from_db()
        assert (clinic.type, clinic.corrected_from, clinic.version) == ("social", "health", 2)
        corrections = AuditEvent.objects.filter(object_id=clinic.pk, action="update")
        assert [event.detail.split(";")[0] for event in corrections] == [
            "kind_corrected:health->social"
        ]

    def test_only_the_organisation_admin_corrects_kinds(self, as_user, bob, organisation):
        clinic = Recipient.objects.create(organisation=organisation, name="Clinic", type="health")
        response = as_user(bob).post(f"/sharing/recipients/{clinic.pk}/kind/", {"type": "ngo"})
        assert response.status_code == 404
        clinic.refresh_from_db()
        assert clinic.type == "health"


def test_two_admins_taking_a_recipient_out_of_use_at_once_leave_it_out_of_use(
    as_user, ada, organisation
):
    from engage.accounts.factories import UserFactory
    from engage.accounts.models import Role

    clinic = Recipient.objects.create(organisation=organisation, name="Clinic", type="health")
    other_admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    # Both read the list while the clinic is in use: each button asks for "out of use".
    for admin in (ada, other_admin):
        page = as_user(admin).get("/sharing/recipients/").content.decode()
        assert 'name="active" value="0"' in page and "Take out of use" in page
    url = f"/sharing/recipients/{clinic.pk}/toggle/"
    for admin in (ada, other_admin):
        assert as_user(admin).post(url, {"active": "0"}).status_code == 302
    clinic.refresh_from_db()
    assert not clinic.active  # the second click did not put it back in use
    changes = AuditEvent.objects.filter(object_id=clinic.pk, action="update")
    assert [event.detail for event in changes] == ["out_of_use"]
    # Asked for back, it is back.
    as_user(ada).post(url, {"active": "1"})
    clinic.refresh_from_db()
    assert clinic.active


def test_it_pages_the_recipients_in_a_constant_number_of_queries(as_user, ada, organisation):
    client = as_user(ada)
    assert "No recipient yet." in client.get("/sharing/recipients/").content.decode()

    def add(start, count):
        Recipient.objects.bulk_create(
            Recipient(organisation=organisation, name=f"Service {n:03}", type="service")
            for n in range(start, start + count)
        )

    add(0, PAGE_SIZE + 3)
    with CaptureQueriesContext(connection) as first:
        response = client.get("/sharing/recipients/")
    names = [recipient.name for recipient, _warning in response.context["recipients"]]
    assert names == [f"Service {n:03}" for n in range(PAGE_SIZE)]
    assert "No recipient yet." not in response.content.decode()
    assert "page=2" in response.content.decode()
    second = client.get("/sharing/recipients/?page=2").context["recipients"]
    assert [recipient.name for recipient, _warning in second] == [
        f"Service {n:03}" for n in range(PAGE_SIZE, PAGE_SIZE + 3)
    ]
    add(PAGE_SIZE + 3, 2 * PAGE_SIZE)
    with CaptureQueriesContext(connection) as more:
        client.get("/sharing/recipients/")
    assert len(more) == len(first)
