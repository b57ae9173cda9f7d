"""The import's background task (docs/tasks.md, docs/import.md)."""

from uuid import UUID

from django_tasks import task

from engage.lib import tasks as background
from engage.lib.scoping import organisation_scope


@task()
def store_import(job_id: str, organisation_id: str, attempt: int = 1) -> str:
    """Store the queued import `job_id` in its organisation's scope; return its status.

    Run twice, or beside `engage run_imports`, it stores the job once: the run that does not
    claim the job returns "taken".
    """
    from engage.imports.services import run_job  # services queues this task

    with organisation_scope(UUID(organisation_id)):
        job = run_job(UUID(job_id))
    if job is None:
        return "taken"
    if job.status == job.Status.QUEUED:
        # Put back after a temporary failure (run_job counts the attempts on the job).
        background.enqueue_again(store_import, job.attempts, job_id, organisation_id)
    return str(job.status)
