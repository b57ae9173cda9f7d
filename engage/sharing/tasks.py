"""The shares' background tasks (docs/tasks.md): producing what a share hands over, and the
instance's sweep of what is left or lapsed."""

from uuid import UUID

from django_tasks import task

from engage.lib import tasks as background
from engage.lib.scoping import organisation_scope


@task()
def produce_shares(share_ids: list[str], organisation_id: str, attempt: int = 1) -> dict[str, int]:
    """Produce the queued shares `share_ids` of one organisation, in its scope, checking
    consent again first (`services.produce_queued`); return the counts."""
    from engage.sharing.services import produce_queued  # services queues this task

    def body() -> dict[str, int]:
        with organisation_scope(UUID(organisation_id)):
            return produce_queued([UUID(pk) for pk in share_ids])

    return background.run_retried(produce_shares, attempt, body, share_ids, organisation_id) or {
        "retried": attempt + 1
    }


@background.periodic("shares")
@task()
def sweep_shares(attempt: int = 1) -> dict[str, int]:
    """Produce every share still queued and void the prepared ones whose consent lapsed,
    across the instance (`engage enqueue shares`, run by `engage worker` with scopes off)."""
    from engage.sharing.services import produce_queued, void_lapsed

    def body() -> dict[str, int]:
        return {**produce_queued(), "voided": void_lapsed()}

    return background.run_retried(sweep_shares, attempt, body) or {"retried": attempt + 1}
