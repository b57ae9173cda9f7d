"""An import stored by a background task (docs/tasks.md): queued on commit, run by the worker,
its progress on the job's page, retried after a temporary failure, never run twice."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django_tasks.backends.database.models import DBTaskResult

from engage.accounts import services as accounts
from engage.accounts.factories import UserFactory
from engage.accounts.models import Role
from engage.audit.models import AuditEvent
from engage.cases.models import Case
from engage.imports import services
from engage.imports.models import ImportJob
from engage.imports.tasks import store_import
from tests.imports.conftest import HEADERS, csv_bytes
from tests.imports.test_import import _big_file, _job
from tests.imports.test_pages import _mapping_post
from tests.tasks.conftest import run_worker

# The worker's SQLite transaction (BEGIN EXCLUSIVE) cannot nest in a test's: commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def _progress_writes(run, monkeypatch):
    """Run `run` and return the progress written to the job's row, as the page would read it.

    The writer the store uses is wrapped (and still writes): watching the connection's SQL
    instead once saw nothing in a full parallel run, although the row was written."""
    seen = []
    real = services._progress

    def watched(job):
        write = real(job)

        def recorded(done: int, total: int) -> None:
            write(done, total)
            seen.append(
                ImportJob.objects.values_list("progress_done", "progress_total").get(pk=job.pk)
            )

        return recorded

    monkeypatch.setattr(services, "_progress", watched)
    run()
    return seen


def test_it_stores_a_committed_import_through_the_worker_with_its_progress(
    ada, alice, as_user, monkeypatch
):
    client = as_user(ada)
    upload = SimpleUploadedFile("caseload.csv", _big_file(600))
    assert client.post("/imports/", {"file": upload}).status_code == 302
    job = ImportJob.objects.get()
    assert client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job)).status_code == 302
    threads = threading.active_count()
    assert client.post(f"/imports/{job.pk}/commit/").status_code == 302
    assert threading.active_count() == threads  # no thread of the web process does the work
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and job.attempts == 0
    task = DBTaskResult.objects.get()
    assert task.task_path == "engage.imports.tasks.store_import" and task.status == "READY"
    assert task.args_kwargs["args"] == [str(job.pk), str(ada.organisation_id)]  # no person
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Waiting to start" in page and 'hx-trigger="every 1s"' in page

    writes = _progress_writes(run_worker, monkeypatch)
    assert writes == [(500, 600)]  # the page saw 500 of 600 rows checked before the store
    task.refresh_from_db()
    assert task.status == "SUCCEEDED" and task.return_value == "done"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.attempts == 1
    assert (job.progress_done, job.progress_total, job.created_count) == (600, 600, 600)
    assert Case.objects.filter(organisation=ada.organisation).count() == 600
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "600 referrals were registered." in page


def test_it_never_stores_a_job_twice(organisation, alice, ada):
    job = _job(organisation, ada, csv_bytes(HEADERS, [_row(1)]))
    services.queue(job, by=ada)
    store_import.enqueue(str(job.pk), str(organisation.pk))  # a second task for the same job
    run_worker()
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == [
        "done",
        "taken",
    ]
    assert Case.objects.count() == 1


def test_a_failure_after_the_rows_are_stored_does_not_store_them_again(
    organisation, alice, ada, monkeypatch, settings
):
    """docs/security.md, item 59: the job was marked done after the rows' commit, so a
    connection dropped in between (or a worker that died) put it back in the queue saying
    nothing was stored, and its next attempt stored every row again."""
    undated = ["Given2", "Family2", "", "F", "SY", "02/01/2024", "ngo", "none",
               "irregular", "alice", ""]  # fmt: skip
    job = _job(organisation, ada, csv_bytes(HEADERS, [_row(1), undated]))
    services.queue(job, by=ada)
    real, calls = services.storage.delete, []

    def connection_drops_once(pk):
        calls.append(pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(pk)

    monkeypatch.setattr(services.storage, "delete", connection_drops_once)
    settings.ENGAGE_TASK_RETRY_SECONDS = 0
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 2
    assert Case.objects.count() == 2
    assert services.run_job(job.pk) is None  # done: nobody takes it again
    assert Case.objects.count() == 2
    # Its file, left when the connection dropped, goes with the expiry of uploads.
    assert job.file_deleted_at is None
    import datetime

    from django.utils import timezone

    later = timezone.now() + datetime.timedelta(days=settings.ENGAGE_IMPORT_KEEP_DAYS + 1)
    assert services.expire_files(later) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.file_deleted_at is not None


def test_it_tries_again_after_a_temporary_failure_then_tells_the_admin(
    organisation, alice, ada, as_user, settings, monkeypatch
):
    job = _job(organisation, ada, csv_bytes(HEADERS, [_row(1), _row(2)]))
    services.queue(job, by=ada)
    failures = []

    def database_gone(_job):
        failures.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    # The fault is injected where the store would meet it; queue, worker and retries are real.
    monkeypatch.setattr(services, "_store", database_gone)
    # One attempt: the job waits for its next, and its page says why.
    settings.ENGAGE_TASK_RETRY_SECONDS = 3600
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and job.attempts == 1
    page = as_user(ada).get(f"/imports/{job.pk}/").content.decode()
    assert "The first attempt stopped on a temporary error; nothing was stored." in page
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    # The next attempts, at once.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=retry.enqueued_at)
    settings.ENGAGE_TASK_RETRY_SECONDS = 0
    run_worker()
    assert len(failures) == settings.ENGAGE_TASK_ATTEMPTS == 3
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.attempts == 3
    assert not DBTaskResult.objects.filter(status="READY").exists()
    page = as_user(ada).get(f"/imports/{job.pk}/").content.decode()
    assert "The import was refused when it was stored; nothing was stored." in page
    assert "The import stopped on an error at each of its 3 attempts" in page
    assert Case.objects.count() == 0


@pytest.mark.parametrize("change", ["deactivated", "no_longer_admin"])
def test_it_stores_nothing_for_an_admin_who_may_no_longer_import(
    organisation, alice, ada, as_user, change
):
    """An import queued by an admin deactivated (or made a case manager) before the worker
    ran was stored all the same, as them: the task checks, when it runs, that the person who
    asked may still import, and otherwise fails the job saying why, storing nothing."""
    job = _job(organisation, ada, csv_bytes(HEADERS, [_row(1), _row(2)]))
    services.queue(job, by=ada)
    other = UserFactory(organisation=organisation, role=Role.ORG_ADMIN, username="oz")
    if change == "deactivated":
        accounts.deactivate_user(ada, by=other)
    else:
        ada.refresh_from_db()
        accounts.update_user(
            ada, by=other, expected_version=ada.version, role=Role.CASE_MANAGER, team=None,
            first_name=ada.first_name, last_name=ada.last_name, email=ada.email,
        )  # fmt: skip
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.created_count == 0
    assert Case.objects.count() == 0
    page = as_user(other).get(f"/imports/{job.pk}/").content.decode()
    assert "The import was refused when it was stored; nothing was stored." in page
    assert "The admin who asked for this import may no longer import" in page
    assert AuditEvent.objects.filter(object_id=job.pk, detail="import_refused").exists()


def _row(n: int) -> list:
    return [f"Given{n}", f"Family{n}", "01/02/1990", "F", "SY", "02/01/2024", "ngo", "none",
            "irregular", "alice", ""]  # fmt: skip


def test_an_erasure_deletes_the_file_a_done_import_could_not_delete_yet(
    organisation, alice, bob, ada, monkeypatch, settings
):
    """A done import whose file could not be deleted after its rows' commit (a disk, a
    connection dropped: item 59) keeps it until the uploads' expiry, a week. Erasure forgot
    only the waiting uploads (item 16), so the erased person's row, imported by that very
    file, stayed in it for that week: on disk, and decrypted by anyone with the keys."""
    from engage.privacy.services import erase_person

    job = _job(organisation, ada, csv_bytes(HEADERS, [_row(1), _row(2)]))
    services.queue(job, by=ada)

    def disk_fails(pk):
        raise OSError("the disk is busy")

    monkeypatch.setattr(services.storage, "delete", disk_fails)
    run_worker()
    monkeypatch.undo()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.file_deleted_at is None
    assert services.storage.path_for(job.pk).exists()
    person = Case.objects.select_related("person").first().person
    erase_person(person, by=bob, reason="request")
    job.refresh_from_db()
    assert not services.storage.path_for(job.pk).exists()
    assert job.file_deleted_at is not None
    assert job.status == ImportJob.Status.DONE and job.created_count == 2
