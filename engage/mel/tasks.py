"""The MEL tasks (docs/tasks.md): a report asked for on the web (`mel.runs`), its PDF, the
pruning of old reports and the keeping of each case's dataset row."""

from typing import Any
from uuid import UUID

from django_tasks import task

from engage.lib import tasks as background


@task()
def make_report(run_id: str, attempt: int = 1) -> str:
    """Make the queued report run `run_id`; return its status ("taken" if another worker
    has it). Its argument is the run's id: the parameters are on the run, no person's data."""
    from engage.mel import runs  # runs queues this task

    run = runs.compute(UUID(run_id), attempt)
    if run is None:
        return "taken"
    if run.status == run.Status.QUEUED:
        # Put back after a temporary failure: the next attempt, later.
        background.enqueue_again(make_report, attempt, run_id)
    return str(run.status)


@task(queue_name="documents")
def make_report_pdf(run_id: str) -> bool:
    """Lay out the PDF of a finished report run and keep it (`runs.keep_pdf`), so its download
    does not wait on WeasyPrint; a PDF not kept is laid out in the download's request."""
    from engage.mel import runs

    return runs.keep_pdf(UUID(run_id))


@background.periodic("reports")
@task()
def prune_reports() -> dict[str, Any]:
    """Delete the reports made in the background more than ENGAGE_REPORT_KEEP_DAYS days ago
    (`runs.prune`); daily, from cron."""
    from engage.mel import runs

    return {"deleted": runs.prune()}


@background.periodic("case-rows")
@task()
def keep_case_rows() -> dict[str, int]:
    """Derive and keep each case's dataset row as of now where none holds
    (`dataset.case_rows`), so the next export or live report reads it instead of the case's
    records; from cron, nightly or hourly. Return the rows read per organisation."""
    from engage.mel.dataset.rows import keep_rows

    return keep_rows()
