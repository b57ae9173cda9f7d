"""Fields and people shared by the tests of where custom answers are read (helper B's part):
a pilot with its own questions on the referral and contact forms, one of them sensitive, and
Dora, a case manager of the same organisation who sees Alice's case through a household."""

import pytest

from engage.accounts.factories import UserFactory
from engage.cases.factories import CaseFactory
from engage.cases.models import Case, Household
from engage.custom import services

SECRET = "Sentinelsecret about the journey"


@pytest.fixture
def fields(organisation, ada):
    """The pilot's own questions: three on the referral, three on a contact (one sensitive)."""
    define = services.define_field
    return {
        "arrival": define(organisation, by=ada, form="referral", type="date", label="Arrival"),
        "children": define(
            organisation,
            by=ada,
            form="referral",
            type="number",
            label="Children",
            min_value=0,
            max_value=20,
        ),
        "housing": define(
            organisation,
            by=ada,
            form="referral",
            type="choice",
            label="Housing",
            options=["Shelter", "Friends", "Street"],
            required=True,
        ),
        "risk": define(
            organisation,
            by=ada,
            form="contact",
            type="choice",
            key="risk",
            label="Risk seen",
            options=["Low", "High"],
        ),
        "followup": define(
            organisation,
            by=ada,
            form="contact",
            type="yes_no",
            key="followup",
            label="Follow-up needed",
        ),
        "secret": define(
            organisation,
            by=ada,
            form="contact",
            type="long_text",
            key="secret",
            label="What they confided",
            sensitive=True,
        ),
    }


@pytest.fixture
def dora(organisation, case):
    """A case manager of the same organisation who sees Alice's case through a household."""
    dora = UserFactory(username="dora", first_name="Dora", organisation=organisation)
    household = Household.objects.create(organisation=organisation)
    sister = CaseFactory(organisation=organisation, case_manager=dora)
    Case.objects.filter(pk__in=[case.pk, sister.pk]).update(household=household)
    assert Case.objects.visible_to(dora).filter(pk=case.pk).exists()
    return dora
