"""Who sees which case: assigned, team, household, organisation, nobody else."""

import pytest

from engage.accounts.factories import TeamFactory, UserFactory
from engage.cases.factories import CaseFactory
from engage.cases.models import Case, Household

pytestmark = pytest.mark.django_db


def _visible(user):
    return set(Case.objects.visible_to(user))


def test_it_shows_a_case_manager_only_their_cases(case, alice, organisation, foreign_case):
    colleague = UserFactory(organisation=organisation)
    theirs = CaseFactory(organisation=organisation, case_manager=colleague)
    assert _visible(alice) == {case}
    assert theirs not in _visible(alice)


def test_it_shows_a_case_manager_the_cases_of_their_clients_households(case, alice, organisation):
    household = Household.objects.create(organisation=organisation)
    Case.objects.filter(pk=case.pk).update(household=household)
    colleague = UserFactory(organisation=organisation)
    relative = CaseFactory(organisation=organisation, case_manager=colleague, household=household)
    assert _visible(alice) == {case, relative}


def test_it_shows_a_supervisor_the_cases_of_the_teams_they_lead(case, bob, organisation):
    other_team = TeamFactory(organisation=organisation)
    outside = CaseFactory(
        organisation=organisation,
        case_manager=UserFactory(organisation=organisation, team=other_team),
    )
    own = CaseFactory(organisation=organisation, case_manager=bob)
    assert _visible(bob) == {case, own}
    assert outside not in _visible(bob)


def test_it_shows_an_org_admin_the_whole_organisation(case, ada, organisation, foreign_case):
    other = CaseFactory(
        organisation=organisation, case_manager=UserFactory(organisation=organisation)
    )
    assert _visible(ada) == {case, other}


def test_it_shows_an_outsider_and_the_network_nothing(case, charlie, nadia, foreign_case):
    assert _visible(charlie) == {foreign_case}
    assert _visible(nadia) == set()


def test_it_shows_a_deactivated_user_nothing(case, alice):
    alice.is_active = False
    alice.save()
    assert _visible(alice) == set()


def test_it_follows_a_reassignment_at_once(case, alice, organisation):
    colleague = UserFactory(organisation=organisation)
    Case.objects.filter(pk=case.pk).update(case_manager=colleague)
    assert _visible(alice) == set()
