"""Reports asked for on the web, made by a background task and served again until the data
change (issue 14, section 4; docs/tasks.md).

`start` turns the form's parameters into a `ReportRun`: a run of the same parameters for the
same person (or pilot) over the same data is returned as it is, finished or still being made;
otherwise a new run is queued, in the request's transaction, and `tasks.make_report` computes it
with `services.report_for`, writing each step on the run's row for the page to show.

"The same data" is a mark read before the report reads anything (`data_version`): the head of
the change history, which moves with every write of a case's records, custom answers included
(`cases.data_version`); the imported submissions held; the evaluation cycles' narratives
and snapshots; the cities' names and the pilots' codes; each report part's own mark (the network's records, `parts.versions`); today's date. Any change there makes the next
request a new run. A mark read before a report whose data changed while it ran is an older
mark: the next request does not match it and is computed again, never the reverse.

What is kept is the report after disclosure control, exactly what the downloads render. Exact
figures are kept too (the page and the downloads are rendered from them), encrypted at rest like
every run, and served again only to the coordinator who asked for them: a coordinator's runs are
theirs alone (`ReportRun.objects.visible_to`). Every time a finished report is shown or
downloaded it is audited as a disclosure to that person (`disclose`), served again or not.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import City, Organisation, Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases import data_version as case_data
from engage.lib import crypto
from engage.lib import tasks as background
from engage.mel import services
from engage.mel.models import Narrative, ReportRun, Snapshot, Submission
from engage.mel.report import parts

logger = logging.getLogger(__name__)

# Bumped when the report's computation changes, so a report made by older code is not served.
REPORT_CODE = "2"
# A run still waiting or running after this long is not joined: its worker may have died.
STALE = timedelta(minutes=30)

STEP_LABELS = {
    "sources": _("Choosing each pilot's source"),
    "live": _("Reading the live cases of %(pilot)s"),
    "imported": _("Reading the imported submissions"),
    "indicators": _("Computing the indicators and applying disclosure control"),
    "parts": _("Adding the network's own records"),
}


def step_text(label: str) -> str:
    """The step a run is at, in words (`live:BG-CLA` names the pilot)."""
    name, _sep, pilot = label.partition(":")
    if name not in STEP_LABELS:
        return ""
    return str(STEP_LABELS[name]) % {"pilot": pilot} if pilot else str(STEP_LABELS[name])


def data_version() -> str:
    """A mark of everything a report reads; equal marks, the same report. Today's date is in
    it: a part may count up to today (the liaison's reporting days), so nothing is served
    again after midnight."""
    held = Submission.objects.aggregate(n=Count("pk"), last=Max("imported_at"))
    # The evaluators' narratives and snapshots, which the network's reports quote.
    written = Narrative.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    frozen = Snapshot.objects.aggregate(n=Count("pk"), last=Max("created_at"))
    names = hashlib.sha256(
        json.dumps(
            [
                list(map(str, City.objects.order_by("pk").values_list("pk", "name"))),
                list(map(str, Organisation.objects.order_by("pk").values_list("pk", "code"))),
            ]
        ).encode()
    ).hexdigest()[:16]
    marks = {
        "today": timezone.localdate().isoformat(),
        "cases": case_data.current(),
        "submissions": _counted(held),
        "evaluations": f"{_counted(written)};{_counted(frozen)}",
        "names": names,
        **{f"part:{key}": mark for key, mark in sorted(parts.versions().items())},
    }
    return hashlib.sha256(json.dumps(marks, sort_keys=True).encode()).hexdigest()


def _counted(found: dict[str, Any]) -> str:
    return f"{found['n']}@{found['last'].isoformat() if found['last'] else ''}"


def audience_of(by: User) -> Organisation | None:
    """Whose run it is: the pilot of an organisation's staff; none for the coordinator."""
    return None if by.role == Role.NETWORK_COORDINATOR else by.organisation


def fingerprint(by: User, parameters: dict[str, Any]) -> str:
    """The parameters, the language the report is made in, and whose run it is."""
    whose = (
        f"coordinator:{by.pk}"
        if by.role == Role.NETWORK_COORDINATOR
        else f"organisation:{by.organisation_id}"
    )
    canonical = {**parameters, "pilots": sorted(parameters["pilots"]), "whose": whose,
                 "code": REPORT_CODE}  # fmt: skip
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def start(
    *,
    by: User,
    start: str,
    end: str,
    pilots: list[str],
    source: str,
    level: str,
    baseline: tuple[str, str] | None = None,
    overrides: dict[str, str] | None = None,
) -> tuple[ReportRun, bool]:
    """The run of this report for `by`: one already made or being made over the same data
    (and True), else a new run queued (and False). Refuse what `by` may not have
    (PermissionDenied), before anything is queued; the task checks again."""
    services.check_report_access(by, pilots=pilots, source=source, level=level)
    parameters = {
        "start": start,
        "end": end,
        "pilots": list(pilots),
        "source": source,
        "level": level,
        "baseline_start": baseline[0] if baseline else "",
        "baseline_end": baseline[1] if baseline else "",
        "overrides": dict(overrides or {}),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    mark = fingerprint(by, parameters)
    version = data_version()
    with transaction.atomic():
        found = _current(by, mark, version)
        if found is not None:
            return found, True
        run = ReportRun.objects.create(
            requested_by=by,
            organisation=audience_of(by),
            fingerprint=mark,
            data_version=version,
            **parameters,
        )
        from engage.mel.tasks import make_report  # the task calls back into this module

        make_report.enqueue(str(run.pk))
    return run, False


def _current(by: User, mark: str, version: str) -> ReportRun | None:
    same = ReportRun.objects.visible_to(by).filter(fingerprint=mark, data_version=version)
    done: ReportRun | None = same.filter(status=ReportRun.Status.DONE).first()
    if done is not None:
        return done
    fresh = timezone.now() - STALE
    waiting: ReportRun | None = same.filter(
        status__in=(ReportRun.Status.QUEUED, ReportRun.Status.RUNNING), created_at__gte=fresh
    ).first()
    return waiting


def prune(now: datetime | None = None) -> int:
    """Delete the runs asked for more than `ENGAGE_REPORT_KEEP_DAYS` days ago, finished, failed
    or abandoned; return how many. Their page and downloads then answer 404. Kept reports are
    counts after disclosure control, but exact ones are the coordinator's true counts: none is
    kept longer than a person may want to come back to it."""
    now = now or timezone.now()
    older = now - timedelta(days=settings.ENGAGE_REPORT_KEEP_DAYS)
    expired = ReportRun.objects.filter(created_at__lt=older)
    _forget_pdfs(list(expired.only("pk")))
    deleted, _by_model = expired.delete()
    if deleted:
        logger.info("Deleted %d report runs made before %s", deleted, older.date().isoformat())
    return deleted


# The PDF of a finished run, laid out by the worker once the report is made (WeasyPrint takes
# seconds of CPU for the network's report: 10 s for the demo's 34 pages) and kept, encrypted
# with the field keys, in the cache, which is the database every web process shares
# (docs/deployment.md). It is an optimisation only: a PDF not kept (evicted, the run's language
# not the reader's, a key retired) is laid out in the request as before, and kept then.


def _pdf_key(run: ReportRun, language: str) -> str:
    return f"engage:report-pdf:{run.pk}:{language}"


def _language_of(run: ReportRun) -> str:
    return run.language or settings.LANGUAGE_CODE


def keep_pdf(run_id: UUID) -> bool:
    """Lay out the PDF of the finished run `run_id` in its language and keep it; False if the
    run is not finished (or gone)."""
    from engage.mel.report import render  # WeasyPrint's libraries: loaded when used

    run = ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.DONE).first()
    if run is None:
        return False
    language = _language_of(run)
    with translation.override(language):
        data = render.as_pdf(run.result())
    _store_pdf(run, language, data)
    return True


def _store_pdf(run: ReportRun, language: str, data: bytes) -> None:
    timeout = settings.ENGAGE_REPORT_KEEP_DAYS * 24 * 3600
    cache.set(_pdf_key(run, language), crypto.encrypt_bytes(data), timeout=timeout)


def pdf_of(run: ReportRun, result: dict[str, Any]) -> bytes:
    """The run's PDF in the language of the request: the one kept if there is one, else laid
    out now from `result` (the report `disclose` gave) and kept for the next download."""
    from engage.mel.report import render

    language = translation.get_language() or settings.LANGUAGE_CODE
    token = cache.get(_pdf_key(run, language))
    if token is not None:
        try:
            return crypto.decrypt_bytes(token)
        except crypto.DecryptionError:
            pass  # kept under a key retired since: lay it out again
    data = render.as_pdf(result)
    _store_pdf(run, language, data)
    return data


def _forget_pdfs(runs: list[ReportRun]) -> None:
    languages = [code for code, _name in settings.LANGUAGES]
    cache.delete_many([_pdf_key(run, language) for run in runs for language in languages])


def get_run_for_user(user: User, pk: UUID) -> ReportRun:
    """The run `user` may open, or 404 (another pilot's run is not found, not forbidden)."""
    from django.shortcuts import get_object_or_404

    run: ReportRun = get_object_or_404(ReportRun.objects.visible_to(user), pk=pk)
    return run


# The task's side.


def _writer(run_id: UUID) -> Callable[[str, int, int], None]:
    def write(step: str, done: int, total: int) -> None:
        # Written at once (the worker runs in autocommit), for the page polling the row.
        ReportRun.objects.filter(pk=run_id).update(step=done, steps=total, step_label=step[:60])

    return write


def compute(run_id: UUID, attempt: int = 1) -> ReportRun | None:
    """Make the queued run `run_id` (the task's body); None if another worker has it.

    A temporary failure (the database not answering) puts the run back to waiting and says so
    to the caller, which queues it again; anything else ends the run as failed, with a message
    for the page and the error in the worker's log.
    """
    claimed = ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.QUEUED).update(
        status=ReportRun.Status.RUNNING, started_at=timezone.now(), step=0, attempts=attempt
    )
    if not claimed:
        return None
    run: ReportRun = ReportRun.objects.select_related(
        "requested_by", "requested_by__organisation"
    ).get(pk=run_id)
    # The mark again, read before the data: the report is at least as new as it says.
    run.data_version = data_version()
    try:
        with translation.override(run.language or settings.LANGUAGE_CODE):
            result = services.report_for(
                start=run.start,
                end=run.end,
                pilots=list(run.pilots),
                source=run.source,
                level=run.level,
                baseline=run.baseline,
                by=run.requested_by,
                channel="web report",
                overrides=dict(run.overrides),
                progress=_writer(run.pk),
            )
    except background.TRANSIENT:
        if not background.may_retry(attempt):
            return _failed(run, _("The report stopped on an error at each of its attempts."))
        run.status = ReportRun.Status.QUEUED
        run.save(update_fields=["status"])
        return run
    except PermissionDenied:
        return _failed(run, _("You may not have this report."))
    except Exception:
        logger.exception("report run %s failed", run.pk)
        return _failed(run, _("The report could not be made: an error stopped it."))
    run.refresh_from_db(fields=["steps"])  # as the progress wrote it
    run.report = json.dumps(result, ensure_ascii=False)
    run.status = ReportRun.Status.DONE
    run.finished_at = timezone.now()
    run.step = run.steps
    run.save(update_fields=["report", "status", "finished_at", "step", "data_version"])
    from engage.mel.tasks import make_report_pdf  # the task calls back into this module

    # The page shows the report now; its PDF, the one slow file, is laid out next.
    make_report_pdf.enqueue(str(run.pk))
    return run


def _failed(run: ReportRun, message: object) -> ReportRun:
    run.status = ReportRun.Status.FAILED
    run.error = str(message)[:200]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "data_version"])
    return run


# Serving a finished run.


def disclose(
    run: ReportRun, *, by: User, channel: str, request: HttpRequest | None = None
) -> dict[str, Any]:
    """The finished report, audited as disclosed to `by` on `channel` (`web report page`,
    `web report pdf`…): exact figures as an export each time, like `report_for`; others as a
    view of the run, whether it was just made or served again."""
    result = run.result()
    pilots = result.get("scope", {}).get("pilots", [])
    if run.level == "exact":
        source = run.source if run.source != "auto" else "per-pilot"
        services.record_exact(by, start=run.start, end=run.end, source=source, pilots=pilots,
                              channel=channel, request=request)  # fmt: skip
    else:
        scope = ",".join(pilots) or "no pilot"
        made = run.finished_at.isoformat(timespec="seconds") if run.finished_at else ""
        detail = f"{channel}: {run.level} {run.start}..{run.end} of {scope}, made {made}"
        record(by, AuditEvent.Action.VIEW, run, detail=detail[:200], request=request)
    return result
