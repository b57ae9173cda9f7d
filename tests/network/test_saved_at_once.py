"""Two budgets of overlapping periods saved at one instant: the second is refused next to its
field, as it would be a moment later, not kept beside the first (no constraint holds the overlap,
and a client-day would be paid for twice). PostgreSQL's test: SQLite has one writer and no row
locks, so there the second simply sees the first."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from engage.network import services
from engage.network.models import ProgrammeBudget
from tests.row_locks import waits_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)

D = datetime.date


def _budget(by, start, end):
    return services.save_budget(
        by=by, data={"start": start, "end": end, "amount": Decimal("1000"), "currency": "EUR",
                     "covers": ""},
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)  # two connections see each other's commits
def test_it_refuses_the_second_of_two_overlapping_budgets_saved_at_once(organisation, ada):
    outcome = waits_for(
        lambda: _budget(ada, D(2024, 1, 1), D(2024, 6, 30)),
        lambda: _budget(ada, D(2024, 6, 1), D(2024, 12, 31)),
    )
    assert isinstance(outcome, ValidationError)
    assert outcome.message_dict == {"start": ["This period overlaps another budget's."]}
    (kept,) = ProgrammeBudget.objects.filter(organisation=organisation)
    assert (kept.start, kept.end) == (D(2024, 1, 1), D(2024, 6, 30))


@pytest.mark.django_db(transaction=True)
def test_a_correction_that_moves_onto_a_budget_saved_at_once_is_refused(organisation, ada):
    earlier = _budget(ada, D(2023, 1, 1), D(2023, 12, 31))

    def move_it_onto_2024():
        data = {"start": D(2024, 3, 1), "end": D(2024, 3, 31), "amount": Decimal("10"),
                "currency": "EUR", "covers": ""}  # fmt: skip
        return services.save_budget(by=ada, data=data, budget=earlier, expected_version=1)

    outcome = waits_for(lambda: _budget(ada, D(2024, 1, 1), D(2024, 6, 30)), move_it_onto_2024)
    assert isinstance(outcome, ValidationError) and "start" in outcome.message_dict
    earlier.refresh_from_db()
    assert (earlier.start, earlier.version) == (D(2023, 1, 1), 1)
