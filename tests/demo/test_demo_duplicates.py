"""The demo's likely duplicate: registered through the same check, waiting for the supervisor."""

import pytest

from engage.cases import duplicates
from engage.cases.models import Case, PossibleDuplicate
from engage.demo.duplicates import seed_duplicates

pytestmark = pytest.mark.django_db


def test_it_leaves_one_likely_duplicate_for_the_supervisor_once(organisation, alice, bob):
    assert seed_duplicates(organisation) == 1
    assert seed_duplicates(organisation) == 0
    flag = PossibleDuplicate.objects.get()
    assert flag.decision == "open" and flag.reasons == ["identity"]
    assert {str(c.person) for c in Case.objects.all()} == {
        "Mohammed Sampleton",
        "Muhammad Sampleton",
    }
    (pair,) = duplicates.pairs_for(bob)
    assert pair.can_decide and pair.known.person and pair.new.person
