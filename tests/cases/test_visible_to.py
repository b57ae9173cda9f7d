"""Every organisation-scoped model's `visible_to(user)`: where a view's query starts.

The records of a case follow the case's rule (assigned, team, household, organisation);
the other scoped models, the user's organisation; the network coordinator sees nothing.
"""

import pytest

from engage.accounts.factories import TeamFactory, UserFactory
from engage.accounts.models import User, supervised_by
from engage.cases.factories import CaseFactory, days_ago
from engage.cases.models import Action, Case, Contact, Screening
from engage.directory.factories import ServiceFactory
from engage.directory.models import ContactPerson
from engage.lib.scoping import ScopedQuerySet, case_path_of

pytestmark = pytest.mark.django_db


def _contact(case, by):
    return Contact.objects.create(case=case, date=days_ago(1), type="phone", recorded_by=by)


@pytest.fixture
def colleagues_case(organisation):
    return CaseFactory(
        organisation=organisation, case_manager=UserFactory(organisation=organisation)
    )


def test_it_shows_the_records_of_the_cases_the_user_may_see_only(
    case, colleagues_case, foreign_case, alice, bob, ada, charlie, nadia
):
    mine, theirs = _contact(case, alice), _contact(colleagues_case, colleagues_case.case_manager)
    foreign = _contact(foreign_case, charlie)
    assert set(Contact.objects.visible_to(alice)) == {mine}
    # Bob leads Alice's team, not the colleague's; Ada sees the organisation's.
    assert set(Contact.objects.visible_to(bob)) == {mine}
    assert set(Contact.objects.visible_to(ada)) == {mine, theirs}
    assert set(Contact.objects.visible_to(charlie)) == {foreign}
    assert not Contact.objects.visible_to(nadia).exists()


def test_it_follows_the_case_through_a_longer_path(case, colleagues_case, alice):
    assert case_path_of("goal__plan__case__organisation") == "goal__plan__case"
    assert case_path_of("service__organisation") is None
    # Chained after other methods, as views write it.
    assert not Action.objects.visible_to(alice).still_to_do_on(colleagues_case).exists()
    assert Screening.objects.visible_to(alice).filter(case=colleagues_case).first() is None


def test_it_keeps_models_without_a_case_to_the_organisation(organisation, alice, charlie, nadia):
    service = ServiceFactory(organisation=organisation)
    person = ContactPerson.objects.create(service=service, name="Zzcontact")
    assert list(ContactPerson.objects.visible_to(alice)) == [person]
    assert not ContactPerson.objects.visible_to(charlie).exists()
    assert not ContactPerson.objects.visible_to(nadia).exists()


def test_it_shows_nothing_to_a_deactivated_user(case, alice):
    _contact(case, alice)
    alice.is_active = False
    assert not Contact.objects.visible_to(alice).exists()
    assert not Case.objects.visible_to(alice).exists()


def test_it_refuses_a_scoped_model_whose_queryset_lacks_visible_to():
    from django.db import models

    from engage.lib.scoping import organisation_scoped

    class Plain(models.QuerySet):
        pass

    with pytest.raises(TypeError):
        organisation_scoped("organisation", Plain)
    assert issubclass(type(Case.objects.all()), ScopedQuerySet)


def test_a_supervisor_sees_the_cases_of_each_team_they_lead_and_their_own_only(
    organisation, team, alice, bob, case, colleagues_case
):
    """`accounts.supervised_by`: Bob, the members of the teams he leads (two here), not the
    organisation's other case holders; found by the ids of his teams, with no join to a
    user's team, which made PostgreSQL read every user and team to keep his few."""
    second = TeamFactory(organisation=organisation, name="Plovdiv", leader=bob)
    other = UserFactory(organisation=organisation, team=second)
    theirs = CaseFactory(organisation=organisation, case_manager=other)
    own = CaseFactory(organisation=organisation, case_manager=bob)
    assert set(Case.objects.visible_to(bob)) == {case, theirs, own}
    holders = User.objects.filter(supervised_by(bob))
    assert set(holders) == {alice, bob, other}
    assert "accounts_team" in str(holders.query)  # the teams' ids are read
    assert 'JOIN "accounts_team"' not in str(holders.query)
