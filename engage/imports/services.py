"""Importing an existing caseload: upload, map, check, decide on duplicates, store all at once.

How the work is done (one design for SQLite and PostgreSQL):

- Checking a file (`check_job`) runs in the request that saves the mapping: it is pure Python
  plus a few queries (the staff, the cities, the blind index for duplicates), about a second
  for 10,000 rows (bench/import_bench.py), and its report is what the next page shows.
- Storing (`run_job`) is the slow part: every name, date of birth and phone is encrypted, and
  every row goes through the database triggers of the change history. The commit button
  queues the job and, in the same transaction, a task (`imports.tasks.store_import`) that
  `engage worker` runs (docs/tasks.md); `engage run_imports` from cron runs whatever is still
  queued or was left half-way by a worker that stopped. Claiming is one conditional UPDATE,
  so the worker and cron never run a job twice. A temporary failure (the database not
  answering) puts the job back in the queue for another attempt, up to
  `ENGAGE_TASK_ATTEMPTS`; the page shows the attempt, and the last failure.
- The job checks the file again (new clients may have arrived since the preview), writing its
  progress on the job row every 500 rows, each write committed at once so that the page sees
  it. Then it stores every row in ONE transaction (`cases.services.register_referrals`):
  nothing is visible, to the page or anyone, until all of it is, and any refused row stores
  nothing. The progress of that last phase cannot be shown row by row (the job row's updates
  would be inside the same transaction, invisible until the end, on both databases), so the
  page says "storing every row in one transaction" until it is done.
"""

import datetime
import json
import logging
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.accounts.models import Organisation, Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases.models import Person
from engage.cases.services import register_referrals
from engage.history.context import acting
from engage.imports import extra, fields, reading, storage
from engage.imports.models import ImportJob, SavedMapping
from engage.imports.validation import Mapping, Report, check
from engage.imports.values import cell_text
from engage.lib import encrypted_files
from engage.lib import tasks as background
from engage.lib.crypto import digits, name_tokens, normalise
from engage.lib.scoping import organisation_scope

logger = logging.getLogger(__name__)
Status = ImportJob.Status


def upload(
    organisation: Organisation,
    *,
    by: User,
    filename: str,
    data: bytes,
    saved: SavedMapping | None = None,
    request: HttpRequest | None = None,
) -> ImportJob:
    """Keep an uploaded file (encrypted) as a new job, with a saved mapping or the one
    guessed from the headers."""
    try:
        sheet = reading.read(filename, data)
    except reading.UnreadableFile as error:
        raise ValidationError({"file": str(error)}) from None
    # The file goes if the job is not stored (lib.encrypted_files).
    with encrypted_files.atomic():
        job = ImportJob.objects.create(
            organisation=organisation,
            created_by=by,
            filename=filename[:255],
            headers=json.dumps(sheet.headers),
            row_count=len(sheet.rows),
            mapping=saved.mapping
            if saved is not None
            else Mapping(
                columns=fields.guess(
                    sheet.headers,
                    [spec for own in extra.columns_of(organisation) for spec in own.specs],
                )
            ).as_json(),
        )
        storage.save(job.pk, data)
        record(by, AuditEvent.Action.CREATE, job, detail="import_upload", request=request)
    return job


def headers_of(job: ImportJob) -> list[str]:
    headers: list[str] = json.loads(job.headers or "[]")
    return headers


def sheet_of(job: ImportJob) -> reading.Sheet:
    return reading.read(job.filename, storage.load(job.pk))


def report_of(job: ImportJob) -> dict[str, Any] | None:
    return json.loads(job.report) if job.report else None


def _require(job: ImportJob, *statuses: str) -> None:
    if job.status not in statuses:
        raise ValidationError(_("This import is no longer open to changes."))


def _require_stored(job: ImportJob, *statuses: str) -> None:
    """`_require` on the job as stored, locked (inside the caller's transaction), with its file
    still kept: an erasure (`forget_files_holding`, which locks the jobs it reads) or a discard
    made since the job was loaded closed it, and the check's report must not quote the file
    again over that."""
    stored = ImportJob.objects.select_for_update().filter(pk=job.pk)
    status, file_deleted_at = stored.values_list("status", "file_deleted_at").get()
    if status not in statuses or file_deleted_at is not None:
        raise ValidationError(_("This import is no longer open to changes."))


def check_job(
    job: ImportJob,
    *,
    by: User,
    mapping: Mapping,
    save_as: str = "",
    request: HttpRequest | None = None,
) -> Report:
    """Check the file with `mapping`; keep the mapping (and the report) on the job."""
    _require(job, Status.UPLOADED, Status.CHECKED, Status.FAILED)
    missing = mapping.missing(headers_of(job))
    if missing:
        raise ValidationError(
            _("Choose a column, or a value for every row, for: %(fields)s.")
            % {"fields": ", ".join(str(fields.BY_NAME[name].label) for name in missing)}
        )
    report = check(sheet_of(job), mapping, job.organisation, decisions=job.decisions)
    with transaction.atomic():
        _require_stored(job, Status.UPLOADED, Status.CHECKED, Status.FAILED)
        if save_as.strip():
            SavedMapping.objects.update_or_create(
                organisation=job.organisation,
                name=save_as.strip(),
                defaults={"mapping": mapping.as_json(), "created_by": by},
            )
        job.mapping = mapping.as_json()
        job.report = json.dumps(report.as_json())
        job.status = Status.CHECKED
        job.version += 1
        job.save(update_fields=["mapping", "report", "status", "version"])
    return report


def decide_duplicates(job: ImportJob, *, by: User, decisions: dict[str, str]) -> Report:
    """Record, for each flagged row, whether to skip it or import it anyway; check again."""
    _require(job, Status.CHECKED, Status.FAILED)
    job.decisions = {
        **job.decisions,
        **{line: value for line, value in decisions.items() if value in ("skip", "import")},
    }
    job.save(update_fields=["decisions"])
    return check_job(job, by=by, mapping=Mapping.from_json(job.mapping))


def map_values(job: ImportJob, *, by: User, values: dict[str, dict[str, str]]) -> Report:
    """Add the values the admin chose for words of the file that Engage did not know."""
    _require(job, Status.CHECKED, Status.FAILED)
    mapping = Mapping.from_json(job.mapping)
    for name, table in values.items():
        mapping.values.setdefault(name, {}).update(
            {fields.header_key(word): value for word, value in table.items() if value}
        )
    return check_job(job, by=by, mapping=mapping)


def queue(job: ImportJob, *, by: User, request: HttpRequest | None = None) -> None:
    """Queue the checked import to be stored; refused while any row has a problem."""
    _require(job, Status.CHECKED)
    report = report_of(job) or {}
    if report.get("problems"):
        raise ValidationError(_("Correct every problem of the report before importing."))
    with transaction.atomic():
        _require_stored(job, Status.CHECKED)
        job.status = Status.QUEUED
        job.queued_at = timezone.now()
        job.phase, job.progress_done, job.progress_total = (
            ImportJob.Phase.CHECKING,
            0,
            job.row_count,
        )
        job.attempts = 0
        job.save(
            update_fields=[
                "status", "queued_at", "phase", "progress_done", "progress_total", "attempts"
            ]
        )  # fmt: skip
        record(by, AuditEvent.Action.UPDATE, job, detail="import_queued", request=request)
        # The task is a row of this same transaction (docs/tasks.md). Imported here: the task
        # module calls this one.
        from engage.imports.tasks import store_import

        store_import.enqueue(str(job.pk), str(job.organisation_id))


def discard(job: ImportJob, *, by: User, request: HttpRequest | None = None) -> None:
    """Delete a waiting import's file and every cell quoted from it, as "discarded".

    Read as stored, locked, as the check and the queueing read it: an erasure that closed the
    import since the page loaded it (or while it waits for the lock) keeps "erased", the one
    word left of the person, rather than have "discarded" written over it."""
    _require(job, Status.UPLOADED, Status.CHECKED, Status.FAILED)
    with transaction.atomic():
        _require_stored(job, Status.UPLOADED, Status.CHECKED, Status.FAILED)
        # The counts kept are those of the report as stored (a check may have run since).
        job.refresh_from_db(fields=["report", "row_count"])
        _forget_file(job, Status.DISCARDED)
        record(by, AuditEvent.Action.UPDATE, job, detail="import_discarded", request=request)


@transaction.atomic
def delete_mapping(saved: SavedMapping, *, by: User, request: HttpRequest | None = None) -> None:
    """Delete a saved mapping, with an audit entry as for every deletion of the
    organisation's records (a mapping holds header names and choice words, no personal
    data)."""
    # The audit log has no "deleted" action of its own: a change, saying so.
    record(by, AuditEvent.Action.UPDATE, saved, detail="import_mapping_deleted", request=request)
    saved.delete()


def _forget_file(job: ImportJob, status: str) -> None:
    """Delete the file and every cell quoted from it; keep the counts."""
    storage.delete(job.pk)
    _forget_cells(job, status)


def _forget_cells(job: ImportJob, status: str, *, file_deleted: bool = True) -> None:
    """Keep only the counts of the job's report and give it `status`; with `file_deleted`,
    note that its file is gone (deleting it is the caller's)."""
    report = report_of(job) or {}
    job.report = json.dumps(
        {
            "rows": report.get("rows", job.row_count),
            "problems": [],
            "problem_count": len(report.get("problems", [])),
            "unknown_values": {},
            "duplicates": [],
            "preview": [],
        }
    )
    job.status = status
    if file_deleted:
        job.file_deleted_at = timezone.now()
    job.save(update_fields=["report", "status", "file_deleted_at"])


def _claim(job_id: UUID, stale_before: datetime.datetime) -> bool:
    """Take the job for this worker: one conditional UPDATE, so nobody else runs it too."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        # A job left running by a process that died: its transaction rolled back, so nothing
        # of it is stored; run it again.
        claimed = ImportJob.objects.filter(
            pk=job_id, status=Status.RUNNING, started_at__lt=stale_before
        ).update(started_at=now, attempts=F("attempts") + 1)
    return bool(claimed)


def run_job(job_id: UUID) -> ImportJob | None:
    """Check the file again and store every row in one transaction; run in the job's
    organisation scope. Return the job, or None if another worker has it.

    A temporary failure with attempts left (`lib.tasks`) puts the job back in the queue,
    status "queued", for its caller to run again later; any other failure, or the last
    attempt's, ends it as "failed" with the reason in its report.
    """
    stale = timezone.now() - datetime.timedelta(minutes=settings.ENGAGE_IMPORT_STALE_MINUTES)
    if not _claim(job_id, stale):
        return None
    job = ImportJob.objects.select_related("organisation", "created_by").get(pk=job_id)
    try:
        with acting(job.created_by):
            _store(job)
    except Exception as error:
        if background.is_transient(error) and background.may_retry(job.attempts):
            logger.warning("Import %s stopped on a temporary error; queued again", job.pk)
            _queue_again(job)
            return job
        logger.exception("Import %s failed", job.pk)
        _fail(job)
    return job


def _queue_again(job: ImportJob) -> None:
    if not transaction.get_connection().in_atomic_block:
        transaction.get_connection().close_if_unusable_or_obsolete()
    # Never a job whose rows were stored (its status written with them).
    queued = ImportJob.objects.filter(pk=job.pk).exclude(status=Status.DONE)
    if queued.update(status=Status.QUEUED, phase=ImportJob.Phase.CHECKING, progress_done=0):
        job.status, job.phase, job.progress_done = Status.QUEUED, ImportJob.Phase.CHECKING, 0


def _fail(job: ImportJob) -> None:
    if job.attempts > 1:
        message = _(
            "The import stopped on an error at each of its %(attempts)s attempts; nothing was "
            "stored. Try again later, or ask your administrator."
        ) % {"attempts": job.attempts}
    else:
        message = _(
            "The import stopped on an unexpected error; nothing was stored. Try again, or "
            "ask your administrator."
        )
    job.status = Status.FAILED
    job.report = json.dumps(
        {
            **(report_of(job) or {}),
            "problems": [{"line": 0, "column": "", "field": "", "message": message}],
        }
    )
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "report", "finished_at"])


def _progress(job: ImportJob) -> Callable[[int, int], None]:
    def write(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(progress_done=done, progress_total=total)

    return write


REQUESTER_GONE = gettext_lazy(
    "The admin who asked for this import may no longer import (their account was deactivated, "
    "or they are no longer an admin of this organisation): nothing was stored. Upload the file "
    "again to import it."
)


def _check_requester(job: ImportJob) -> None:
    """Refuse the store unless the admin who asked for it may still import: active, and an
    admin of the job's organisation. The rows are stored as them, and a deactivation (or a
    demotion) made while the job waited in the queue must stop it. Read locked in the rows'
    transaction, as a deactivation locks the organisation's admins
    (`accounts.services._check_still_an_admin`): one made at the same moment waits or is seen.
    """
    allowed = User.objects.select_for_update().filter(
        pk=job.created_by_id,
        is_active=True,
        role=Role.ORG_ADMIN,
        organisation_id=job.organisation_id,
    )
    if not list(allowed.values_list("pk", flat=True)):
        raise ValidationError(REQUESTER_GONE, code="requester")


def _store(job: ImportJob) -> None:
    sheet = sheet_of(job)
    mapping = Mapping.from_json(job.mapping)
    report = check(
        sheet, mapping, job.organisation, decisions=job.decisions, progress=_progress(job)
    )
    job.progress_done = job.progress_total = len(sheet.rows)
    if not report.valid:
        job.status, job.finished_at = Status.FAILED, timezone.now()
        job.report = json.dumps(report.as_json())
        job.save(update_fields=["status", "finished_at", "report", "progress_done"])
        return
    job.phase = ImportJob.Phase.STORING
    job.save(update_fields=["phase", "progress_done", "progress_total"])
    try:
        with transaction.atomic():
            _check_requester(job)
            cases = register_referrals(
                organisation=job.organisation,
                by=job.created_by,
                referrals=report.prepared,
                detail="import",
            )
            # The answers to the organisation's own referral fields (engage.imports.extra).
            extra.store(
                job.organisation,
                cases,
                [row.get("custom", {}) for row in report.prepared],
                by=job.created_by,
            )
            job.created_count = len(cases)
            job.finished_at = timezone.now()
            job.save(update_fields=["created_count", "finished_at"])
            # "Done" in the rows' own transaction: a failure or a dead worker after their commit
            # left the job to be run again, and every row was stored twice (docs/security.md,
            # item 59).
            _forget_cells(job, Status.DONE, file_deleted=False)
            record(
                job.created_by,
                AuditEvent.Action.CREATE,
                job,
                detail=f"import_stored:{len(cases)}",
            )
    except ValidationError as error:
        job.status, job.finished_at = Status.FAILED, timezone.now()
        # By the worker, after the rows' transaction was rolled back: nobody acted.
        record(None, AuditEvent.Action.UPDATE, job, detail="import_refused")
        data = report.as_json()
        data["problems"] = [
            {"line": 0, "column": "", "field": "", "message": message} for message in error.messages
        ]
        job.report = json.dumps(data)
        job.save(update_fields=["status", "finished_at", "report"])
        return
    # The file once the rows are stored. If it cannot be deleted now (a disk, a connection
    # dropped just after the commit), the job is done all the same, never run again for it,
    # and `expire_files` deletes the file later.
    try:
        storage.delete(job.pk)
        job.file_deleted_at = timezone.now()
        job.save(update_fields=["file_deleted_at"])
    except Exception:
        logger.exception("Import %s is stored; its file could not be deleted yet", job.pk)


def run_pending() -> list[ImportJob]:
    """Run every queued job, and the jobs of dead workers (for `engage run_imports`)."""
    stale = timezone.now() - datetime.timedelta(minutes=settings.ENGAGE_IMPORT_STALE_MINUTES)
    pending = list(
        ImportJob.objects.filter(status=Status.QUEUED).values_list("pk", "organisation_id")
    ) + list(
        ImportJob.objects.filter(status=Status.RUNNING, started_at__lt=stale).values_list(
            "pk", "organisation_id"
        )
    )
    done = []
    for job_id, organisation_id in pending:
        with organisation_scope(organisation_id):
            job = run_job(job_id)
        if job is not None:
            done.append(job)
    return done


# Imports whose file is still kept: anything not stored, discarded or expired yet.
PENDING = (Status.UPLOADED, Status.CHECKED, Status.FAILED, Status.QUEUED)


def forget_files_holding(person: Person) -> int:
    """Delete the waiting files (and quoted cells) of the person's organisation that name them.

    Called by erasure, before the identity goes (docs/security.md, issue 10 item 16): an
    uploaded spreadsheet waits up to `ENGAGE_IMPORT_KEEP_DAYS` days, and one that lists the
    person would otherwise keep their data, and could bring it back if stored. A file is read
    whatever its mapping: a row names the person if every word of their name is among its
    cells' words, or a cell holds their phone, email or document number. Such an import is
    closed as "erased"; the others are left alone. Return how many were closed.

    A job already storing (`running`) cannot be stopped here; it takes seconds to minutes.
    """
    wanted = _identity_of(person)
    if not wanted["names"] and not wanted["exact"]:
        return 0
    closed = 0
    # A done import whose file could not be deleted after its rows' commit keeps it until the
    # uploads' expiry (item 59): it is read too, and stays done.
    jobs = ImportJob.objects.filter(
        organisation_id=person.organisation_id,
        status__in=[*PENDING, Status.DONE],
        file_deleted_at__isnull=True,
    ).select_for_update()
    for job in jobs:
        try:
            sheet = sheet_of(job)
        except (OSError, reading.UnreadableFile):
            sheet = None  # a file we cannot read may still hold them: close it too
        if sheet is None or any(_mentions(row, wanted) for row in [sheet.headers, *sheet.rows]):
            _forget_file(job, Status.DONE if job.status == Status.DONE else Status.ERASED)
            record(
                None,
                AuditEvent.Action.UPDATE,
                job,
                detail="import_erased",
                organisation_id=job.organisation_id,
            )
            closed += 1
    # An upload's name may name the person ("Leyla_Erasetest_referral.xlsx"), whatever became
    # of its file (a finished import's was deleted long ago): the name goes, the import and its
    # counts stay.
    for job in ImportJob.objects.filter(organisation_id=person.organisation_id).select_for_update():
        if job.filename != ERASED_FILENAME and _mentions([_words(job.filename)], wanted):
            job.filename = ERASED_FILENAME
            job.save(update_fields=["filename"])
            record(None, AuditEvent.Action.UPDATE, job, detail="import_name_erased",
                   organisation_id=job.organisation_id)  # fmt: skip
    return closed


# What an upload's name becomes when it named a person erased.
ERASED_FILENAME = "—"


def _words(filename: str) -> str:
    """A file's name as words: its separators (`_`, `-`, `.`) as spaces."""
    return re.sub(r"[\W_]+", " ", filename)


def _identity_of(person: Person) -> dict[str, Any]:
    exact = {
        value
        for value in (
            normalise(person.email or ""),
            normalise(person.document_number or ""),
        )
        if value
    }
    phone = digits(person.phone or "")
    return {
        "names": name_tokens(person.given_name or "", person.family_name or ""),
        "exact": exact,
        "phone": phone if len(phone) >= 6 else "",
    }


def _mentions(row: list[Any], wanted: dict[str, Any]) -> bool:
    texts = [cell_text(cell) for cell in row if cell is not None]
    words = name_tokens(*texts)
    if wanted["names"] and wanted["names"] <= words:
        return True
    for text in texts:
        if normalise(text) in wanted["exact"]:
            return True
        if wanted["phone"] and digits(text).endswith(wanted["phone"][-9:]):
            return True
    return False


def expire_files(now: datetime.datetime | None = None) -> int:
    """Delete the files (and quoted cells) of imports left untouched for too long."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=settings.ENGAGE_IMPORT_KEEP_DAYS)
    count = 0
    for job in ImportJob.objects.filter(
        created_at__lt=limit,
        file_deleted_at__isnull=True,
        status__in=[Status.UPLOADED, Status.CHECKED, Status.FAILED, Status.DONE],
    ):
        # A done job whose file could not be deleted when it was stored stays done.
        _forget_file(job, Status.DONE if job.status == Status.DONE else Status.EXPIRED)
        count += 1
    return count
