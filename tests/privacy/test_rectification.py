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


@pytest.mark.django_db
def test_it_writes_no_correction_on_a_case_closed_since_the_page_was_loaded(alice, bob, case):
    """A closed case's identity is no longer edited here (`edit_identity`): a correction sent
    from the page loaded while the case was open was checked on the case as loaded, and
    written over the record the closure had settled."""
    from django.core.exceptions import ValidationError

    from engage.cases import services, workflow
    from engage.cases.access import get_case_for_user
    from engage.cases.factories import days_ago, to_active

    to_active(case, alice, bob)
    loaded = get_case_for_user(alice, case.pk, for_work=True)
    closure = services.request_closure(
        case, by=alice, data={"date": days_ago(0), "reason": "transferred",
                              "disengagement_factors": []},
    )  # fmt: skip
    services.review_closure(closure, by=bob, approve=True)
    with pytest.raises(ValidationError) as refused:
        services.update_identity(
            loaded, by=alice, data={"family_name": "Zzcorrected"},
            expected_version=loaded.person.version,
        )  # fmt: skip
    assert refused.value.messages == [str(workflow._REFUSALS["edit_identity"])]
    assert Person.objects.get(pk=case.person_id).family_name != "Zzcorrected"
    assert not AuditEvent.objects.filter(
        object_id=str(case.person_id), action=AuditEvent.Action.UPDATE
    ).exists()
