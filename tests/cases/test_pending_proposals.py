"""One proposal waits at a time: of an inclusion decision (or a decline) and of a closure sent
at the same moment, the second waits for the first on the case's row, then is refused.

SQLite lets one writer at a time and has no row locks (Django leaves FOR UPDATE out there):
these are PostgreSQL's tests (`DATABASE_URL=postgres://...`)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.cases import services
from engage.cases.factories import days_ago, to_included
from engage.cases.models import Case, ClosureReason
from engage.cases.models.process import ApprovalStatus
from tests.row_locks import waits_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (SELECT ... FOR UPDATE) exist on PostgreSQL only; SQLite has one writer",
)


def _decline(case, by):
    return services.propose_inclusion(
        case, by=by, include=False, date=days_ago(1), criteria_met=[], reason="Moved away"
    )


def _close(case, by):
    return services.request_closure(
        case, by=by, data={"date": days_ago(1), "reason": ClosureReason.TRANSFERRED}
    )


PROPOSALS = {
    "inclusion": (_decline, "already waiting for approval", "inclusion_decisions"),
    "closure": (_close, "A closure is already waiting", "closures"),
}


@pytest.fixture
def proposal(request, case, alice, bob):
    """(the case ready for it, the proposal, the refusal of a second one, its records)."""
    propose, refusal, related = PROPOSALS[request.param]
    if request.param == "closure":
        to_included(case, alice, bob)
    return Case.objects.get(pk=case.pk), propose, refusal, related


@pytest.mark.django_db
@pytest.mark.parametrize("proposal", list(PROPOSALS), indirect=True)
def test_it_locks_the_case_row_before_looking_for_a_waiting_proposal(proposal, alice):
    case, propose, _refusal, _related = proposal
    with CaptureQueriesContext(connection) as queries:
        propose(case, alice)
    sql = [q["sql"] for q in queries]
    locks = [i for i, text in enumerate(sql) if text.rstrip().endswith("FOR UPDATE")]
    assert locks, "no row is locked"
    assert 'FROM "cases_case"' in sql[locks[0]] and case.pk.hex in sql[locks[0]]
    looks = [i for i, text in enumerate(sql) if f"'{ApprovalStatus.PENDING}'" in text]
    assert looks and locks[0] < looks[0]  # locked before it looks for one waiting


@pytest.mark.django_db(transaction=True)  # two connections see each other's commits
@pytest.mark.parametrize("proposal", list(PROPOSALS), indirect=True)
def test_a_second_proposal_sent_at_the_same_moment_waits_then_is_refused(proposal, alice, bob):
    case, propose, refusal, related = proposal
    second = waits_for(
        lambda: propose(case, alice), lambda: propose(Case.objects.get(pk=case.pk), bob)
    )
    assert isinstance(second, ValidationError), f"the second was not refused: {second}"
    assert refusal in str(second)
    assert getattr(case, related).filter(status=ApprovalStatus.PENDING).count() == 1
