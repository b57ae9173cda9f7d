import pytest

from engage.accounts.factories import TeamFactory, UserFactory
from engage.accounts.models import Role
from engage.cases.factories import CaseFactory
from engage.cases.models import Household


@pytest.fixture
def case(organisation, alice):
    """A referral assigned to Alice."""
    return CaseFactory(organisation=organisation, case_manager=alice)


@pytest.fixture
def foreign_case(other_organisation, charlie):
    return CaseFactory(
        organisation=other_organisation, case_manager=charlie, person__given_name="Zzforeign"
    )


@pytest.fixture
def partner(organisation, alice):
    """The case of alice's client's partner, held by Dan in Sue's team: Bob (alice's
    supervisor) sees it through the household rule, but it is not his team's."""
    sue = UserFactory(username="sue", role=Role.SUPERVISOR, organisation=organisation)
    plovdiv = TeamFactory(organisation=organisation, name="Plovdiv", leader=sue)
    dan = UserFactory(username="dan", organisation=organisation, team=plovdiv)
    household = Household.objects.create(organisation=organisation)
    CaseFactory(organisation=organisation, case_manager=alice, household=household)
    return CaseFactory(organisation=organisation, case_manager=dan, household=household)

