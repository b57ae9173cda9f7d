"""Export a pilot's submission, import submissions at the hub, and build reports from rows."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from engage.accounts.models import Organisation, Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.mel import disclosure, indicators, parts, render, submission
from engage.mel.dataset import COLUMNS, derive_rows
from engage.mel.models import DatasetRow, Submission


def export(
    organisation: Organisation,
    folder: Path,
    period_end: str,
    *,
    linkage_key: bytes | None = None,
    by: User | None = None,
    request: HttpRequest | None = None,
) -> dict:
    """Write the organisation's submission into `folder`; the same for the command and the web."""
    rows = derive_rows(organisation, period_end, linkage_key=linkage_key)
    manifest = submission.write(folder, organisation.code, period_end, rows)
    record(
        by,
        AuditEvent.Action.EXPORT,
        organisation,
        detail=f"network dataset {period_end}, {manifest['rows']} rows",
        organisation_id=organisation.pk,
        request=request,
    )
    return manifest


@transaction.atomic
def import_submission(
    path: Path, *, by: User | None = None, request: HttpRequest | None = None
) -> dict[str, int]:
    """Check the submission whole, then replace the pilot's rows with it in one transaction.

    Return what changed: rows added, changed, unchanged and removed.
    """
    data = submission.read(path)
    latest = Submission.objects.filter(pilot=data.pilot).order_by("-period_end").first()
    if latest is not None and data.period_end < latest.period_end:
        raise submission.InvalidSubmission(
            [
                submission.Problem(
                    None,
                    "manifest.json",
                    f"period_end {data.period_end} is older than the stored {latest.period_end}",
                )
            ]
        )
    stored = Submission.objects.create(
        pilot=data.pilot,
        period_end=data.period_end,
        generated_at=data.generated_at,
        sha256=data.sha256,
        rows=len(data.rows),
        imported_by=by,
    )
    existing = {row.case_ref: row for row in DatasetRow.objects.filter(pilot=data.pilot)}
    counts = {"added": 0, "changed": 0, "unchanged": 0, "removed": 0}
    to_create, to_update = [], []
    for values in data.rows:
        row = existing.pop(values["case_ref"], None)
        if row is None:
            to_create.append(DatasetRow(submission=stored, **values))
            counts["added"] += 1
        elif row.as_row() != values:
            for column in COLUMNS:
                setattr(row, column, values[column])
            row.submission = stored
            to_update.append(row)
            counts["changed"] += 1
        else:
            counts["unchanged"] += 1
    DatasetRow.objects.bulk_create(to_create, batch_size=500)
    DatasetRow.objects.bulk_update(to_update, [*COLUMNS, "submission"], batch_size=500)
    DatasetRow.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    counts["removed"] = len(existing)
    DatasetRow.objects.filter(pilot=data.pilot).update(submission=stored)
    record(
        by,
        AuditEvent.Action.CREATE,
        stored,
        detail="network dataset {pilot} {period}: {added} added, {changed} changed, "
        "{unchanged} unchanged, {removed} removed".format(
            pilot=data.pilot, period=data.period_end, **counts
        ),
        request=request,
    )
    return counts


def rows_for(pilots: list[str], *, source: str, end: str) -> list[dict[str, str]]:
    """The rows a report is computed from: derived live, or as imported."""
    if source == "live":
        organisations = Organisation.objects.filter(code__in=pilots).order_by("code")
        return [row for org in organisations for row in derive_rows(org, end)]
    return [row.as_row() for row in DatasetRow.objects.filter(pilot__in=pilots)]


def report(
    rows: list[dict[str, str]],
    *,
    start: str,
    end: str,
    pilots: list[str],
    level: str,
    baseline: tuple[str, str] | None = None,
) -> dict:
    """The report as data (the spec's JSON shape), disclosure control applied."""
    results = [r.as_dict() for r in indicators.compute(rows, start, end, baseline)]
    cohort = [row for row in rows if indicators.in_cohort(row, end)]
    both = sum(1 for row in cohort if int(row["assessments"]) >= 2)
    return {
        "period": {"start": start, "end": end},
        "disclosure": level,
        "scope": {"pilots": sorted(pilots)},
        "baseline": {"start": baseline[0], "end": baseline[1]} if baseline else None,
        "has_data": bool(cohort),
        "coverage": {
            "rows": len(rows),
            "cohort": _count_for(len(cohort), level),
            "with_two_assessments": _count_for(both, level),
        },
        "indicators": disclosure.apply(results, level),
        # Beyond the spec's shape (which it keeps): BEN-01 at the end of each month.
        "series": {
            "BEN-01": [
                {"month": month, "value": _count_for(count, level)}
                for month, count in indicators.caseload_by_month(rows, start, end)
            ]
        },
    }


def _count_for(count: int, level: str):
    return disclosure.shown_count(count, level)


# Reports as files: the same bytes for `engage mel_report` and the web.

REPORT_FORMATS = ("json", "html", "pdf", "xlsx")
PILOT_STAFF = (Role.SUPERVISOR, Role.ORG_ADMIN)


def default_pilots(source: str) -> list[str]:
    """Every pilot of the source: this instance's organisations, or those imported."""
    if source == "live":
        return list(Organisation.objects.order_by("code").values_list("code", flat=True))
    return sorted(DatasetRow.objects.values_list("pilot", flat=True).distinct().order_by())


def check_report_access(by: User | None, *, pilots: list[str], source: str, level: str) -> None:
    """Refuse a report that `by` may not have (PermissionDenied).

    `exact` figures are a network coordinator's only. An organisation's own staff (supervisors
    and admins) get their own pilot's live figures, nothing else. `by=None` is the command line:
    whoever runs it already holds the server and its database.
    """
    if by is None:
        return
    if level == "exact" and by.role != Role.NETWORK_COORDINATOR:
        raise PermissionDenied("Exact figures are for a network coordinator only.")
    if by.role == Role.NETWORK_COORDINATOR:
        return
    if by.role not in PILOT_STAFF or by.organisation_id is None:
        raise PermissionDenied("Reports are for supervisors, organisation admins and the network.")
    if source != "live" or list(pilots) != [by.organisation.code]:
        raise PermissionDenied("An organisation's staff get their own pilot's live figures only.")


def report_for(
    *,
    start: str,
    end: str,
    pilots: list[str],
    source: str,
    level: str,
    baseline: tuple[str, str] | None = None,
    by: User | None = None,
    request: HttpRequest | None = None,
    channel: str = "",
) -> dict:
    """The report as data for whoever asks; an `exact` one is audited each time.

    `baseline` defaults to the period of the same length just before; no `pilots` means every
    pilot of the source. `channel` says where it was asked for, for the audit log.
    """
    pilots = list(pilots) or default_pilots(source)
    check_report_access(by, pilots=pilots, source=source, level=level)
    baseline = baseline or indicators.baseline_before(start, end)
    rows = rows_for(pilots, source=source, end=end)
    result = report(rows, start=start, end=end, pilots=pilots, level=level, baseline=baseline)
    # Parts of other apps (the network's NET-* and cost comparison, from live records): the
    # network's own records count in the coordinator's and the command line's reports.
    network = by is None or by.role == Role.NETWORK_COORDINATOR
    parts.extend(result, start=start, end=end, pilots=pilots, network=network)
    if level == "exact":
        record_exact(
            by, start=start, end=end, source=source, pilots=pilots, channel=channel,
            request=request,
        )  # fmt: skip
    return result


def record_exact(
    by: User | None,
    *,
    start: str,
    end: str,
    source: str,
    pilots: list[str],
    channel: str,
    request: HttpRequest | None = None,
) -> None:
    """Log that exact figures were produced: who, where, which period, source and pilots."""
    scope = ",".join(sorted(pilots)) or "no pilot"
    detail = f"{channel or 'report'}: exact {start}..{end}, {source} rows of {scope}"
    record(by, AuditEvent.Action.EXPORT, None, detail=detail[:200], request=request)


def report_bytes(result: dict, fmt: str) -> bytes:
    """The report rendered as `fmt` (one of REPORT_FORMATS)."""
    if fmt == "json":
        return render.as_json(result).encode()
    if fmt == "html":
        return render.as_html(result).encode()
    if fmt == "pdf":
        return render.as_pdf(result)
    if fmt == "xlsx":
        return render.as_xlsx(result)
    raise ValueError(f"unknown format {fmt!r}")
