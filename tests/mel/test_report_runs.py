"""Reports made in the background (issue 14, section 4; docs/tasks.md): the form queues a run,
the worker makes it with its progress on the run's page, the page then shows the report with
its downloads; the same report over the same data is served again without being made again;
any change of the data makes a new one; each person sees their own pilot's runs only."""

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django_tasks.backends.database.models import DBTaskResult

from engage.accounts.factories import UserFactory
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Contact
from engage.mel import runs, services
from engage.mel.dataset import submission
from engage.mel.models import ReportRun
from engage.network.models import Activity
from tests.accounts.test_step_up import _asked_for_password, _asked_to_send_again, _stale
from tests.mel.rows import row
from tests.tasks.conftest import run_worker


def run_reports() -> None:
    """The worker on the reports' queue only: the PDF each finished report queues next is laid
    out on `documents` (seconds of WeasyPrint each), which only the PDF tests below run."""
    run_worker("default")


# The worker's SQLite transaction (BEGIN EXCLUSIVE) cannot nest in a test's: commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

END = days_ago(0).strftime("%Y-%m")
LIVE = {"start": "2024-01", "end": END, "source": "live", "disclosure": "network"}


@pytest.fixture
def live_cases(organisation, alice, bob):
    """Three active clients of BG-CLA on this instance."""
    return [
        to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)[0]
        for _ in range(3)
    ]


def _made_live():
    """How many times a report was made from live cases (each making is audited once)."""
    return AuditEvent.objects.filter(detail__startswith="network dataset derived live").count()


def _shown(run):
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_id=run.pk, detail__startswith="web report page"
    )


def _progress_writes(monkeypatch):
    """Run the worker and return each step written on the run's row, as the page reads it."""
    seen = []
    real = runs._writer

    def watched(run_id):
        write = real(run_id)

        def recorded(step: str, done: int, total: int) -> None:
            write(step, done, total)
            seen.append(ReportRun.objects.values_list("step", "steps", "step_label").get(pk=run_id))

        return recorded

    monkeypatch.setattr(runs, "_writer", watched)
    run_reports()
    return seen


def test_it_makes_the_report_in_the_background_with_its_progress_then_shows_it(
    client, nadia, live_cases, monkeypatch
):
    client.force_login(nadia)
    threads = threading.active_count()
    response = client.post(reverse("mel:report"), LIVE)
    assert threading.active_count() == threads  # no thread of the web process does the work
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response.url == f"/mel/report/{run.pk}/"
    task = DBTaskResult.objects.get()
    assert task.task_path == "engage.mel.tasks.make_report" and task.status == "READY"
    assert task.args_kwargs["args"] == [str(run.pk)]  # the run's id, nothing else
    page = client.get(response.url).content.decode()
    assert "Waiting to start" in page and 'hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert f'href="/mel/report/{run.pk}/">Refresh</a>' in page  # and a link, without scripts
    assert _made_live() == 0  # nothing made in the request

    writes = _progress_writes(monkeypatch)
    assert writes == [
        (1, 4, "sources"),
        (2, 4, "live:BG-CLA"),
        (3, 4, "indicators"),
        (4, 4, "parts"),
    ]
    task.refresh_from_db()
    assert task.status == "SUCCEEDED" and task.return_value == "done"
    # Its PDF comes next, on the queue of its own (`engage worker` runs both).
    pdf = DBTaskResult.objects.get(task_path="engage.mel.tasks.make_report_pdf")
    assert pdf.queue_name == "documents" and pdf.args_kwargs["args"] == [str(run.pk)]
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and (run.step, run.steps) == (4, 4)
    assert run.result()["scope"] == {"pilots": ["BG-CLA"]}
    # htmx, still polling, is told to reload the page, which now shows the report.
    assert client.get(response.url, headers={"HX-Request": "true"})["HX-Refresh"] == "true"
    page = client.get(response.url).content.decode()
    assert 'id="report-progress"' not in page and "<noscript><meta" not in page
    assert 'id="indicators"' in page and "BEN-01 Active caseload" in page
    assert "BG-CLA: live cases of this instance, as of " + END in page
    for fmt in ("html", "pdf", "xlsx", "json"):
        assert f'href="/mel/report/{run.pk}/{fmt}/"' in page
    assert "<html" not in page.split('class="report-embedded"')[1]  # a part of the page
    assert _shown(run).filter(actor_id=nadia.pk).count() == 1


def test_it_shows_each_step_while_the_report_is_made(client, nadia, live_cases):
    client.force_login(nadia)
    url = client.post(reverse("mel:report"), LIVE).url
    run = ReportRun.objects.get()
    # The row as a worker writes it halfway (the worker's own writes are seen above).
    runs._writer(run.pk)("live:BG-CLA", 2, 4)
    ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.RUNNING)
    part = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert part.startswith('<section id="report-progress"')
    assert "Step 2 of 4: Reading the live cases of BG-CLA" in part
    assert '<progress max="4" value="2">50%</progress>' in part


def test_it_serves_a_finished_report_again_without_making_it_again(client, nadia, live_cases):
    client.force_login(nadia)
    first = client.post(reverse("mel:report"), LIVE).url
    run_reports()
    assert _made_live() == 1
    client.get(first)
    again = client.post(reverse("mel:report"), LIVE)
    assert again.url == first  # the same run, already done
    # Nothing queued the second time (the first made the report and queued its PDF).
    assert DBTaskResult.objects.filter(task_path__endswith=".make_report").count() == 1
    page = client.get(again.url).content.decode()
    assert 'id="indicators"' in page
    run_reports()
    assert _made_live() == 1  # made once
    # Each showing is audited as given to her, the second one served again.
    run = ReportRun.objects.get()
    assert _shown(run).filter(actor_id=nadia.pk).count() == 2
    json_file = client.get(f"{first}json/")
    assert json_file.status_code == 200 and b'"BEN-01"' in json_file.content
    assert (
        AuditEvent.objects.filter(object_id=run.pk, detail__startswith="web report json").count()
        == 1
    )


def test_a_change_of_the_data_makes_a_new_report(client, nadia, bob, alice, live_cases, tmp_path):
    client.force_login(nadia)
    urls = [client.post(reverse("mel:report"), LIVE).url]
    run_reports()

    # A contact logged on one of the cases (a record of a case, seen by the change history).
    Contact.objects.create(case=live_cases[0], date=days_ago(1), type="face_to_face",
                           recorded_by=alice)  # fmt: skip
    urls.append(client.post(reverse("mel:report"), LIVE).url)
    run_reports()
    # A submission imported at the hub.
    folder = tmp_path / "CY-CYRC"
    submission.write(folder, "CY-CYRC", "2024-06", [row(n, pilot="CY-CYRC") for n in range(6)])
    services.import_submission(folder)
    urls.append(client.post(reverse("mel:report"), LIVE).url)
    run_reports()
    # One of the network's own records (a report part's data, not a case's).
    Activity.objects.create(kind="training", date=days_ago(2), title="Training",
                            recorded_by=nadia)  # fmt: skip
    urls.append(client.post(reverse("mel:report"), LIVE).url)
    run_reports()

    assert len(set(urls)) == 4  # a new report each time
    assert _made_live() == 4
    assert list(ReportRun.objects.values_list("status", flat=True)) == ["done"] * 4
    # And with nothing changed since, the last one again.
    assert client.post(reverse("mel:report"), LIVE).url == urls[-1]


def test_each_pilots_staff_see_their_own_pilots_reports_only(
    client, bob, ada, olga, nadia, live_cases
):
    client.force_login(bob)
    url = client.post(reverse("mel:report"), {"start": "2024-01", "end": END,
                                              "disclosure": "network"}).url  # fmt: skip
    run_reports()
    client.force_login(ada)  # her own organisation's report: the same run
    assert client.get(url).status_code == 200
    assert client.post(reverse("mel:report"), {"start": "2024-01", "end": END,
                                               "disclosure": "network"}).url == url  # fmt: skip
    for outsider in (olga, nadia):  # another pilot's admin, the coordinator
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.get(f"{url}json/").status_code == 404
    # A coordinator's runs are theirs alone, even for another coordinator.
    client.force_login(nadia)
    theirs = client.post(reverse("mel:report"), LIVE).url
    run_reports()
    other = UserFactory(username="nico", network=True)
    client.force_login(other)
    assert client.get(theirs).status_code == 404
    assert client.post(reverse("mel:report"), LIVE).url != theirs  # made for him


def test_exact_figures_still_ask_for_the_password_and_stay_with_their_coordinator(
    nadia, live_cases
):
    exact = {**LIVE, "disclosure": "exact"}
    stale = _stale(nadia)
    assert _asked_to_send_again(stale.post("/mel/report/", exact), "/mel/report/")
    assert not ReportRun.objects.exists()

    from django.test import Client

    fresh = Client()
    fresh.force_login(nadia)
    url = fresh.post("/mel/report/", exact).url
    run_reports()
    assert 'id="indicators"' in fresh.get(url).content.decode()
    # An hour later the exact report kept on the run asks for the password again.
    stale = _stale(nadia)
    assert _asked_for_password(stale.get(url), url.replace("/", "%2F"))
    assert _asked_for_password(stale.get(f"{url}json/"), f"{url}json/".replace("/", "%2F"))


def test_a_failure_says_what_happened_and_leads_back(client, nadia, live_cases, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug in an indicator")

    monkeypatch.setattr(services, "report", broken)
    client.force_login(nadia)
    url = client.post(reverse("mel:report"), LIVE).url
    run_reports()
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.FAILED
    page = client.get(url).content.decode()
    assert "The report could not be made: an error stopped it." in page
    assert '<a href="/mel/report/">Back to the report' in page  # the form, to try again
    assert "a bug in an indicator" not in page  # the error itself is for the log
    assert client.get(f"{url}json/").status_code == 404
    # A failed run is not served again: the next request makes a new one.
    monkeypatch.undo()
    again = client.post(reverse("mel:report"), LIVE).url
    assert again != url
    run_reports()
    assert ReportRun.objects.get(pk=again.split("/")[3]).status == ReportRun.Status.DONE


def test_a_temporary_failure_is_tried_again(client, nadia, live_cases, monkeypatch, settings):
    settings.ENGAGE_TASK_RETRY_SECONDS = 0
    calls = []
    real = services.report

    def once_unavailable(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "report", once_unavailable)
    client.force_login(nadia)
    url = client.post(reverse("mel:report"), LIVE).url
    run_reports()  # the first attempt fails and queues the second
    run = ReportRun.objects.get()
    if run.status == ReportRun.Status.QUEUED:
        assert "An attempt stopped on a temporary error" in client.get(url).content.decode()
        run_reports()
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and run.attempts == 2


def test_reports_older_than_the_kept_days_are_deleted_by_the_daily_task(
    client, nadia, live_cases, settings
):
    from engage.lib.tasks import periodic_tasks

    settings.ENGAGE_REPORT_KEEP_DAYS = 30
    client.force_login(nadia)
    old_page = client.post(reverse("mel:report"), LIVE).url
    run_reports()
    old = ReportRun.objects.get()
    ReportRun.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=31))
    recent_page = client.post(reverse("mel:report"), {**LIVE, "disclosure": "public"}).url
    run_reports()
    assert ReportRun.objects.count() == 2

    periodic_tasks()["reports"].enqueue()
    run_reports()

    assert list(ReportRun.objects.values_list("level", flat=True)) == ["public"]
    assert client.get(old_page).status_code == 404
    assert client.get(f"{old_page}json/").status_code == 404
    assert client.get(recent_page).status_code == 200


def test_the_pdf_is_laid_out_by_the_worker_and_kept_encrypted(
    client, nadia, live_cases, monkeypatch
):
    from django.core.cache import cache

    from engage.mel.report import render

    client.force_login(nadia)
    page = client.post(reverse("mel:report"), LIVE).url
    run_worker()  # every queue, as `engage worker` runs: the report, then its PDF
    run = ReportRun.objects.get()
    assert DBTaskResult.objects.get(task_path__endswith=".make_report_pdf").status == "SUCCEEDED"
    kept = cache.get(runs._pdf_key(run, "en"))
    assert kept and b"%PDF" not in kept  # a Fernet token, not the file

    def not_again(report):
        raise AssertionError("laid out again in the request")

    monkeypatch.setattr(render, "as_pdf", not_again)
    response = client.get(f"{page}pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    # The download is audited as every other showing.
    assert (
        AuditEvent.objects.filter(object_id=run.pk, detail__startswith="web report pdf").count()
        == 1
    )


def test_a_pdf_not_kept_is_laid_out_in_the_request_and_kept_then(client, nadia, live_cases):
    from django.core.cache import cache

    client.force_login(nadia)
    page = client.post(reverse("mel:report"), LIVE).url
    run_reports()
    run = ReportRun.objects.get()
    cache.delete(runs._pdf_key(run, "en"))  # evicted
    first = client.get(f"{page}pdf/")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert cache.get(runs._pdf_key(run, "en"))
    # Pruned with its run.
    ReportRun.objects.filter(pk=run.pk).update(created_at=run.created_at - timedelta(days=400))
    runs.prune()
    assert cache.get(runs._pdf_key(run, "en")) is None
