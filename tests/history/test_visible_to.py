"""The change history holds before/after values of personal data: an organisation admin sees
the organisation's changes, anyone else only those of the cases they may see."""

import pytest

from engage.accounts.factories import UserFactory
from engage.cases.factories import CaseFactory
from engage.cases.models import Person
from engage.history.models import Change

pytestmark = pytest.mark.django_db


def test_it_shows_each_role_the_changes_it_may_see(organisation, alice, ada, charlie, nadia):
    mine = CaseFactory(organisation=organisation, case_manager=alice)
    colleague = UserFactory(organisation=organisation)
    theirs = CaseFactory(organisation=organisation, case_manager=colleague)
    Person.objects.filter(pk=mine.person_id).update(given_name="Zzchanged")

    def objects(user) -> set:
        return {(c.model, c.object_id) for c in Change.objects.visible_to(user)}

    assert ("cases.case", mine.pk) in objects(alice)
    assert ("cases.person", mine.person_id) in objects(alice)
    assert ("cases.case", theirs.pk) not in objects(alice)
    assert ("cases.person", theirs.person_id) not in objects(alice)
    assert {("cases.case", mine.pk), ("cases.case", theirs.pk)} <= objects(ada)
    assert not objects(charlie) and not objects(nadia)
