"""The service directory: who keeps it, who sees what, the sharing recipient of each service."""

import pytest
from django.core.exceptions import ValidationError

from engage.audit.models import AuditEvent
from engage.directory import services
from engage.directory.factories import ContactPersonFactory, ServiceFactory
from engage.directory.models import ContactPerson, Service
from engage.sharing import services as sharing
from engage.sharing.models import Recipient
from tests.directory.conftest import SHELTER

pytestmark = pytest.mark.django_db


class TestRecipientLink:
    def test_it_makes_each_service_a_recipient_of_its_organisation(self, shelter, organisation):
        recipient = shelter.recipient
        assert recipient.organisation == organisation and recipient.name == shelter.name
        assert recipient.type == "housing" and recipient.active
        assert AuditEvent.objects.filter(action="create", object_id=shelter.pk).exists()

    def test_it_keeps_the_recipient_in_step_with_the_service(self, shelter, organisation, bob):
        data = dict(SHELTER, name="Sofia shelter", type="healthcare", active=False)
        services.save_service(
            organisation, by=bob, data=data, service=shelter, expected_version=shelter.version
        )
        recipient = Recipient.objects.get(pk=shelter.recipient_id)
        assert (recipient.name, recipient.type, recipient.active) == (
            "Sofia shelter",
            "health",
            False,
        )

    def test_it_takes_over_a_recipient_of_the_same_name(self, organisation, bob):
        earlier = Recipient.objects.create(
            organisation=organisation, name="Sofia night shelter", type="housing"
        )
        service = services.save_service(organisation, by=bob, data=dict(SHELTER))
        assert service.recipient == earlier

    def test_it_refuses_a_second_service_of_the_same_name(self, shelter, organisation, bob):
        with pytest.raises(ValidationError) as error:
            services.save_service(
                organisation, by=bob, data=dict(SHELTER, name="SOFIA night shelter")
            )
        assert "name" in error.value.error_dict
        assert Service.objects.count() == 1

    def test_it_never_turns_an_enforcement_recipient_into_a_service(self, organisation, bob):
        Recipient.objects.create(
            organisation=organisation, name="Border police", type="enforcement"
        )
        with pytest.raises(ValidationError):
            services.save_service(organisation, by=bob, data=dict(SHELTER, name="Border police"))
        assert Recipient.objects.get(name="Border police").type == "enforcement"

    def test_it_refuses_a_stale_edit(self, shelter, organisation, bob, ada):
        from engage.lib.concurrency import ConcurrentEditError

        version = shelter.version
        services.save_service(
            organisation, by=bob, data=dict(SHELTER, city="Plovdiv"), service=shelter,
            expected_version=version,
        )  # fmt: skip
        with pytest.raises(ConcurrentEditError):
            services.save_service(
                organisation, by=ada, data=dict(SHELTER, city="Varna"), service=shelter,
                expected_version=version,
            )  # fmt: skip
        assert Service.objects.get().city == "Plovdiv"


class TestPages:
    def test_it_lets_a_supervisor_add_a_service_and_a_contact(self, as_user, bob):
        client = as_user(bob)
        response = client.post("/directory/new/", dict(SHELTER, website="shelter.example"))
        service = Service.objects.get()
        assert response.status_code == 302 and response.url == service.get_absolute_url()
        assert service.website == "https://shelter.example"
        response = client.post(
            f"/directory/services/{service.pk}/contacts/new/",
            {"name": "Mira Exampleva", "role": "Intake", "phone": "", "email": "mira@x.example"},
        )
        assert response.status_code == 302
        assert "Mira Exampleva" in client.get(service.get_absolute_url()).content.decode()

    def test_it_refuses_a_stale_edit_of_a_contact_person_and_keeps_the_first(
        self, as_user, bob, ada, shelter
    ):
        contact = ContactPersonFactory(service=shelter, name="Mira Exampleva", role="Intake")
        url = f"/directory/contacts/{contact.pk}/edit/"
        read = {"name": "Mira Exampleva", "phone": "", "email": "", "version": contact.version}
        # Both opened the form at the same version; Bob saves first.
        assert as_user(bob).post(url, dict(read, role="Head of intake")).status_code == 302
        response = as_user(ada).post(url, dict(read, role="Night intake", phone="+359 2 111"))
        body = response.content.decode()
        assert response.status_code == 200 and "Someone else changed this record" in body
        # Ada's typed values are shown again, for her to copy; Bob's change stands.
        assert 'value="Night intake"' in body and 'value="+359 2 111"' in body
        contact.refresh_from_db()
        assert (contact.role, contact.phone, contact.version) == ("Head of intake", "", 2)

    def test_it_shows_a_contact_persons_errors_next_to_the_fields_as_typed(
        self, as_user, bob, shelter
    ):
        contact = ContactPersonFactory(service=shelter, name="Mira Exampleva")
        response = as_user(bob).post(
            f"/directory/contacts/{contact.pk}/edit/",
            {"name": "Mira E.", "role": "Intake", "email": "not an email", "version": 1},
        )
        body = response.content.decode()
        assert response.status_code == 200 and "valid email" in body
        assert 'value="Mira E."' in body and 'value="not an email"' in body
        assert ContactPerson.objects.get().name == "Mira Exampleva"

    def test_it_shows_errors_next_to_the_fields(self, as_user, bob, shelter):
        response = as_user(bob).post("/directory/new/", dict(SHELTER, email="not an email"))
        body = response.content.decode()
        assert "There is already a service with this name." in body or "valid email" in body
        assert Service.objects.count() == 1

    def test_it_lets_case_managers_read_but_not_change_the_directory(self, as_user, alice, shelter):
        client = as_user(alice)
        assert "Sofia night shelter" in client.get("/directory/").content.decode()
        assert client.get(shelter.get_absolute_url()).status_code == 200
        assert client.get(f"/directory/services/{shelter.pk}/edit/").status_code == 404
        assert client.post("/directory/new/", dict(SHELTER, name="New")).status_code == 404

    def test_it_searches_filters_and_pages(self, as_user, alice, organisation):
        ServiceFactory(organisation=organisation, name="Arabic clinic", type="healthcare",
                       languages="Arabic", city="Plovdiv")  # fmt: skip
        ServiceFactory.create_batch(30, organisation=organisation, type="legal_aid")
        client = as_user(alice)
        assert "31 services" in client.get("/directory/").content.decode()
        for params in ({"type": "healthcare"}, {"city": "plov"}, {"language": "arab"},
                       {"q": "arabic"}):  # fmt: skip
            body = client.get("/directory/", params).content.decode()
            assert "Arabic clinic" in body and "1 service" in body, params
        assert "Page 1 of 2" in client.get("/directory/").content.decode()
        body = client.get("/directory/", {"q": "nothing like it"}).content.decode()
        assert "No service matches." in body

    def test_it_finds_services_whatever_the_case_and_accents_in_any_script(
        self, as_user, alice, bob, organisation
    ):
        # As a case manager types them: no accents, no capitals, no tonos in Greek; the words
        # of who is eligible in a language other than the one it was first written in too.
        for name, city, languages, eligibility, translations in (
            ("Café Solidarité", "Malmö", "Français, Español", "Adults.", {}),
            ("Ξενώνας Φιλοξενίας", "Θεσσαλονίκη", "Ελληνικά", "Ενήλικες.", {}),
            ("Приют Надежда", "София", "Български, Русский", "Възрастни.", {}),
            ("Night shelter", "Sofia", "English", "Adults.", {"el": "Μητέρες με παιδιά."}),
        ):
            data = dict(SHELTER, name=name, city=city, languages=languages)
            data.update(eligibility=eligibility, translations=translations)
            services.save_service(organisation, by=bob, data=data)
        client = as_user(alice)
        for params, found in (
            ({"q": "cafe solidarite"}, "Café Solidarité"),
            ({"city": "malmo"}, "Café Solidarité"),
            ({"language": "espanol"}, "Café Solidarité"),
            ({"q": "ξενωνας"}, "Ξενώνας Φιλοξενίας"),
            ({"city": "ΘΕΣΣΑΛΟΝΙΚΗ"}, "Ξενώνας Φιλοξενίας"),
            ({"q": "приют"}, "Приют Надежда"),
            ({"city": "софия"}, "Приют Надежда"),
            ({"language": "русский"}, "Приют Надежда"),
            ({"q": "μητερες"}, "Night shelter"),
        ):
            body = client.get("/directory/", params).content.decode()
            assert found in body and "1 service" in body, params

    def test_it_lists_a_service_no_longer_in_use_only_when_asked(self, as_user, bob, shelter):
        Service.objects.filter(pk=shelter.pk).update(active=False)
        client = as_user(bob)
        assert "Sofia night shelter" not in client.get("/directory/").content.decode()
        body = client.get("/directory/", {"inactive": "on"}).content.decode()
        assert "Sofia night shelter" in body and "Not in use" in body

    def test_it_says_when_the_directory_is_empty(self, as_user, alice):
        assert "The directory is empty." in as_user(alice).get("/directory/").content.decode()


class TestScoping:
    def test_it_hides_a_service_that_is_not_shared(self, as_user, shelter, charlie, olga, nadia):
        ContactPersonFactory(service=shelter, name="Mira Exampleva")
        for user in (charlie, olga, nadia):
            client = as_user(user)
            assert client.get(shelter.get_absolute_url()).status_code == 404
            assert "Sofia night shelter" not in client.get("/directory/").content.decode()

    def test_it_shows_a_shared_service_read_only_without_its_contacts(
        self, as_user, shelter, charlie, olga, nadia
    ):
        Service.objects.filter(pk=shelter.pk).update(shared=True)
        ContactPersonFactory(service=shelter, name="Mira Exampleva")
        for user in (charlie, olga, nadia):
            client = as_user(user)
            body = client.get(shelter.get_absolute_url()).content.decode()
            assert "Sofia night shelter" in body and "Adults, any status" in body
            assert "Mira Exampleva" not in body and "Edit" not in body
            assert "Sofia night shelter" in client.get("/directory/").content.decode()
            assert client.get(f"/directory/services/{shelter.pk}/edit/").status_code == 404
            assert client.get(f"/directory/services/{shelter.pk}/contacts/new/").status_code == 404
        contact = ContactPerson.objects.get()
        assert as_user(olga).get(f"/directory/contacts/{contact.pk}/edit/").status_code == 404
        assert as_user(olga).post(f"/directory/contacts/{contact.pk}/remove/").status_code == 404
        assert ContactPerson.objects.exists()

    def test_it_does_not_offer_another_organisations_service_for_a_referral(
        self, as_user, alice, active_case, foreign_service
    ):
        Service.objects.filter(pk=foreign_service.pk).update(shared=True)
        body = as_user(alice).get(f"/directory/cases/{active_case.pk}/refer/").content.decode()
        assert "Zzforeign clinic" not in body

    def test_a_service_found_to_be_immigration_enforcement_is_neither_shared_nor_referred_to(
        self, as_user, ada, alice, bob, charlie, olga, nadia, active_case, shelter
    ):
        """Shared as a shelter serving people without status, it was found to be immigration
        enforcement: the network's case managers still sent clients to it, as B's did."""
        Service.objects.filter(pk=shelter.pk).update(shared=True)
        sharing.correct_kind(shelter.recipient, by=ada, type="enforcement")
        for user in (charlie, olga, nadia):
            client = as_user(user)
            assert client.get(shelter.get_absolute_url()).status_code == 404
            assert "Sofia night shelter" not in client.get("/directory/").content.decode()
        refer = f"/directory/cases/{active_case.pk}/refer/"
        assert "Sofia night shelter" not in as_user(alice).get(refer).content.decode()
        with pytest.raises(ValidationError, match="immigration enforcement"):
            services.make_referral(
                active_case,
                by=alice,
                service=Service.objects.get(pk=shelter.pk),
                made_on=active_case.referral_date,
                categories=[],
            )
        assert not active_case.referrals.exists()
        page = as_user(bob).get(shelter.get_absolute_url()).content.decode()
        assert "found to be immigration enforcement" in page
