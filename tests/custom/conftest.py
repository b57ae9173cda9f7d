import pytest

from engage.cases.factories import CaseFactory


@pytest.fixture
def case(organisation, alice):
    """A referral assigned to Alice."""
    return CaseFactory(organisation=organisation, case_manager=alice)


@pytest.fixture
def foreign_case(other_organisation, charlie):
    return CaseFactory(organisation=other_organisation, case_manager=charlie)
