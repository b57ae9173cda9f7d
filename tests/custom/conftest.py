import pytest

from engage.cases.factories import CaseFactory
from tests.api.conftest import api  # noqa: F401 (a fixture: the API as the named people)
from tests.custom.people import dora, fields  # noqa: F401 (fixtures: see people.py)


@pytest.fixture
def case(organisation, alice):
    """A referral assigned to Alice."""
    return CaseFactory(organisation=organisation, case_manager=alice)


@pytest.fixture
def foreign_case(other_organisation, charlie):
    return CaseFactory(organisation=other_organisation, case_manager=charlie)
