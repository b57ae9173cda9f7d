"""What the case page reads in the case's own query (issue 17's page budgets): the enrollment
it was reopened as, and whether the reader keeps it offline. Each is as the reader may see it."""

import pytest

from engage.accounts.factories import UserFactory
from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.offline import services as offline
from tests.cases.test_workflow import _close

pytestmark = pytest.mark.django_db

REFERRAL = {
    "referral_date": days_ago(0),
    "referral_source": "self",
    "detention_at_referral": "none",
    "migration_status": "irregular",
    "legal_basis": "consent",
    "purpose": "Case management",
}


@pytest.fixture
def reopened(organisation, alice, bob):
    case, _plan = to_active(
        CaseFactory(organisation=organisation, case_manager=alice, household=None), alice, bob
    )
    _close(case, alice, bob)
    return case, services.reopen(case, by=alice, referral=REFERRAL)


def test_it_links_the_enrollment_a_case_was_reopened_as(as_user, alice, reopened):
    old, new = reopened
    page = as_user(alice).get(f"/cases/{old.pk}/").content.decode()
    assert "Reopened as:" in page
    assert f'href="/cases/{new.pk}/">{new.reference}</a>' in page
    # Reopened once: the page offers no second reopening.
    assert f"/cases/{old.pk}/reopen/" not in page


def test_it_names_no_reopened_enrollment_its_reader_may_not_see(
    as_user, organisation, alice, reopened
):
    old, new = reopened
    dan = UserFactory(username="dan", organisation=organisation)
    services.reassign(new, by=alice, case_manager=dan, expected_version=new.version)
    page = as_user(alice).get(f"/cases/{old.pk}/").content.decode()
    assert "Reopened as:" not in page
    assert new.reference not in page and str(new.pk) not in page
    # Nor is a second reopening offered, which would be refused ("already reopened").
    assert f"/cases/{old.pk}/reopen/" not in page


def test_it_names_the_earlier_enrollment_only_to_a_reader_who_may_see_it(
    as_user, organisation, alice, reopened
):
    old, new = reopened
    page = as_user(alice).get(f"/cases/{new.pk}/").content.decode()
    assert f'Earlier enrollment: <a href="/cases/{old.pk}/">{old.reference}</a>' in page
    # An earlier enrollment held by a colleague outside Alice's caseload: not named to her.
    dan = UserFactory(username="dan", organisation=organisation)
    earlier = CaseFactory(organisation=organisation, case_manager=dan, household=None)
    later = CaseFactory(organisation=organisation, case_manager=alice, person=earlier.person,
                        previous=earlier, household=None)  # fmt: skip
    assert as_user(alice).get(f"/cases/{earlier.pk}/").status_code == 404
    page = as_user(alice).get(f"/cases/{later.pk}/").content.decode()
    assert "Earlier enrollment:" not in page
    assert earlier.reference not in page and str(earlier.pk) not in page


def test_it_shows_whether_its_reader_keeps_the_case_offline(as_user, organisation, alice, bob):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    offline.take_offline(case, by=alice)
    assert "Kept offline for visits" in as_user(alice).get(f"/cases/{case.pk}/").content.decode()
    # Taken by alice, not by her supervisor reading the same case.
    page = as_user(bob).get(f"/cases/{case.pk}/").content.decode()
    assert "Kept offline for visits" not in page and "Take offline for a visit" in page
