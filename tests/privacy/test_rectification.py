"""Rectification, reached from the person's rights page (issue 16 #1): the identity page under
/privacy/, calling `cases.services.update_identity`, scoped, audited, in the change history, and
the old address on the case still leading there."""

import pytest
from django.urls import reverse

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.cases.models import Person
from engage.history.models import Change
from engage.lib.concurrency import ConcurrentEditError


def _sent(person: Person, **changes) -> dict:
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "nationality": person.nationality.code,
        "sex": person.sex,
        "version": person.version,
        **changes,
    }


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(organisation=organisation, case_manager=alice)


@pytest.mark.django_db
class TestRectification:
    def test_the_rights_page_leads_to_it(self, as_user, alice, case):
        page = as_user(alice).get(reverse("privacy:case", kwargs={"pk": case.pk}))
        assert reverse("privacy:rectify", kwargs={"pk": case.pk}) in page.content.decode()

    def test_it_corrects_the_identity_audited_and_in_the_change_history(self, as_user, alice, case):
        url = reverse("privacy:rectify", kwargs={"pk": case.pk})
        assert as_user(alice).get(url).status_code == 200
        response = as_user(alice).post(url, _sent(case.person, family_name="Corrected"))
        assert response.status_code == 302
        person = Person.objects.get(pk=case.person_id)
        assert person.family_name == "Corrected" and "family_name" in person.corrected_fields
        assert AuditEvent.objects.filter(action="update", object_id=person.pk).exists()
        change = Change.objects.filter(
            model="cases.person", object_id=person.pk, operation="update"
        ).latest("pk")
        assert change.actor_id == alice.pk

    def test_it_says_someone_else_changed_the_identity_meanwhile(self, as_user, alice, bob, case):
        url = reverse("privacy:rectify", kwargs={"pk": case.pk})
        seen = _sent(case.person, family_name="Mine")
        as_user(bob).post(url, _sent(case.person, family_name="Theirs"))
        response = as_user(alice).post(url, seen)
        assert response.status_code == 200
        assert str(ConcurrentEditError.message) in response.content.decode()
        assert Person.objects.get(pk=case.person_id).family_name == "Theirs"

    def test_it_is_not_found_for_another_organisation(self, as_user, charlie, case):
        before = Person.objects.get(pk=case.person_id).family_name
        for url in (
            reverse("privacy:rectify", kwargs={"pk": case.pk}),
            reverse("privacy_moved_case:identity", kwargs={"pk": case.pk}),
        ):
            assert as_user(charlie).get(url).status_code == 404
            assert (
                as_user(charlie).post(url, _sent(case.person, family_name="X")).status_code == 404
            )
        assert Person.objects.get(pk=case.person_id).family_name == before

    def test_the_old_address_leads_there_and_keeps_a_sent_form(self, as_user, alice, case):
        old = f"/cases/{case.pk}/identity/"
        new = reverse("privacy:rectify", kwargs={"pk": case.pk})
        response = as_user(alice).get(old)
        assert (response.status_code, response["Location"]) == (308, new)
        response = as_user(alice).post(old, _sent(case.person, family_name="Sent"), follow=True)
        assert response.redirect_chain[0] == (new, 308)
        assert Person.objects.get(pk=case.person_id).family_name == "Sent"
