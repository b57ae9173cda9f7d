"""Reports from the web as a person gets them: the form sent, the report made by its task, then
a file downloaded from the report's page (docs/tasks.md)."""

from django.urls import reverse

from tests.tasks.conftest import run_queued_tasks


def made(client, data: dict) -> str:
    """Send the report form; make what it queued (in the test's transaction: the worker itself
    runs in tests/mel/test_report_runs.py); return the report page's address."""
    response = client.post(reverse("mel:report"), data)
    assert response.status_code == 302 and response.url.startswith("/mel/report/"), response
    run_queued_tasks()
    return response.url


def downloaded(client, data: dict, fmt: str):
    """The report of `data` downloaded as `fmt` from its page."""
    page = made(client, data)
    return client.get(f"{page}{fmt}/")
