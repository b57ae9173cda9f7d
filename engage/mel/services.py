"""Export a pilot's submission, import submissions at the hub, and build reports from rows."""

import datetime
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts.models import Organisation, Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases.models import Case
from engage.lib.memory import collection_paused
from engage.lib.scoping import organisation_scope
from engage.lib.spreadsheets import any_formula, neutralise
from engage.mel import sources
from engage.mel.cycles import published
from engage.mel.dataset import anonymity, rollback, submission
from engage.mel.dataset.rows import COLUMNS, VERSION, case_ref, derive_rows, live_rows
from engage.mel.dataset.stored import StoredRows
from engage.mel.models import LinkageRound, SentCases, Submission, SubmissionRows
from engage.mel.report import disclosure, indicators, parts, render

MIN_KEY_CHARACTERS = 24


# The pilot's linkage round: the key the pilots agreed among themselves, kept here only.


class RoundError(Exception):
    """A linkage round that cannot be opened or closed as asked."""


def open_round(
    organisation: Organisation,
    *,
    name: str,
    key: str,
    by: User | None,
    request: HttpRequest | None = None,
) -> LinkageRound:
    """Keep the round's key (encrypted) until the round is closed; one open round at a time."""
    key = key.strip()
    if len(key) < MIN_KEY_CHARACTERS:
        raise RoundError(
            _("The key is too short (%(count)d characters at least).")
            % {"count": MIN_KEY_CHARACTERS}
        )
    with transaction.atomic(), organisation_scope(organisation.pk):
        if LinkageRound.objects.filter(organisation=organisation, closed_at=None).exists():
            raise RoundError(_("A round is open already: close it first."))
        linkage = LinkageRound.objects.create(
            organisation=organisation, name=name.strip(), key=key, opened_by=by
        )
        record(by, AuditEvent.Action.CREATE, linkage, detail="linkage round opened",
               organisation_id=organisation.pk, request=request)  # fmt: skip
    return linkage


def close_round(
    linkage: LinkageRound, *, by: User | None, request: HttpRequest | None = None
) -> LinkageRound:
    """Close the round and erase its key: person_ref stays empty until the next round."""
    with transaction.atomic(), organisation_scope(linkage.organisation_id):
        linkage = LinkageRound.objects.select_for_update().get(pk=linkage.pk)
        if not linkage.is_open:
            raise RoundError(_("This round is closed already."))
        linkage.key = ""
        linkage.closed_at = timezone.now()
        linkage.closed_by = by
        linkage.save(update_fields=["key", "closed_at", "closed_by"])
        record(by, AuditEvent.Action.UPDATE, linkage, detail="linkage round closed, key erased",
               organisation_id=linkage.organisation_id, request=request)  # fmt: skip
    return linkage


def open_round_of(organisation: Organisation) -> LinkageRound | None:
    with organisation_scope(organisation.pk):
        return LinkageRound.objects.filter(organisation=organisation, closed_at=None).first()


def linkage_key(organisation: Organisation) -> bytes | None:
    """The key of the organisation's open round, or None (then person_ref stays empty)."""
    linkage = open_round_of(organisation)
    return linkage.key.encode() if linkage is not None and linkage.key else None


# The pilot's submission: measured, protected, previewed, then exported.


class PreviewOutdated(Exception):
    """The rows changed between the admin's preview and the download."""


@dataclass
class Preview:
    """What the admin sees before anything is sent."""

    period_end: str
    protection: anonymity.Protection
    sha256: str  # of the cases.csv the download will hold
    linkage_round: LinkageRound | None
    # Cases whose row the network would refuse (a date stored before dates were checked at
    # the edge): left out and named, never the whole submission refused (issue 10, item 17).
    left_out: list[str] = field(default_factory=list)


def protected_rows(organisation: Organisation, period_end: str) -> anonymity.Protection:
    """The organisation's rows as of `period_end`, suppressed until every group has k rows."""
    return _protected(organisation, period_end)[0]


def _protected(
    organisation: Organisation, period_end: str, sent: dict[str, anonymity.Sent] | None = None
) -> tuple[anonymity.Protection, list[str]]:
    rows, left_out = checked_rows(organisation, period_end)
    if sent is None:
        sent = sent_before(organisation)
    return anonymity.protect(rows, sent=sent), left_out


def sent_before(organisation: Organisation, *, locked: bool = False) -> dict[str, anonymity.Sent]:
    """What the organisation sent the network of each case before, by `case_ref`: what a new
    submission may not contradict, since the hub keeps the earlier ones (`mel.SentCases`).
    `locked`: held until the transaction ends, so that two exports run one after the other."""
    with organisation_scope(organisation.pk):
        if locked:
            # The organisation's row, locked: the first export has no document to lock yet.
            list(Organisation.objects.select_for_update().filter(pk=organisation.pk).values("pk"))
        kept = SentCases.objects.filter(organisation=organisation).first()
    if kept is None:
        return {}
    return {
        ref: anonymity.Sent(
            values=values, hidden=frozenset(hidden), links=links, unlinked=frozenset(unlinked)
        )
        for ref, (values, hidden, links, unlinked) in json.loads(kept.document).items()
    }


def _remember(
    organisation: Organisation,
    protection: anonymity.Protection,
    before: dict[str, anonymity.Sent],
) -> None:
    """Remember what this submission sent of each case (in the export's transaction)."""
    _keep(organisation, protection.remembered(before))


def _keep(organisation: Organisation, remembered: dict[str, anonymity.Sent]) -> None:
    document = json.dumps(
        {
            ref: [sent.values, sorted(sent.hidden), sent.links, sorted(sent.unlinked)]
            for ref, sent in remembered.items()
        },
        separators=(",", ":"),
    )
    with organisation_scope(organisation.pk):
        SentCases.objects.update_or_create(
            organisation=organisation, defaults={"document": document}
        )


def remember_sent(
    organisation: Organisation,
    sent: Sequence[submission.Submission],
    *,
    by: User | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Remember what submissions exported before Engage kept a memory of them sent (the files
    the pilot still has), so that the next export does not contradict them. A case already
    remembered keeps what was remembered (an export sent it so since); any other takes what
    the latest of these files sent of it. Return how many cases were added. The files must be
    this organisation's (checked whole by `submission.read` beforehand)."""
    if any(entry.pilot != organisation.code for entry in sent):
        raise ValidationError(_("These are not this pilot's submissions."))
    latest: dict[str, dict[str, str]] = {}
    for entry in sorted(sent, key=lambda entry: entry.period_end):
        latest.update((row["case_ref"], row) for row in entry.rows)
    with transaction.atomic():
        before = sent_before(organisation, locked=True)
        added = {
            ref: anonymity.Sent(
                values={column: row[column] for column in anonymity.SUPPRESSED_VALUE},
                links={link: row[link] for link in anonymity.LINKS if row[link]},
            )
            for ref, row in latest.items()
            if ref not in before
        }
        _keep(organisation, {**before, **added})
        record(by, AuditEvent.Action.UPDATE, organisation, organisation_id=organisation.pk,
               detail=f"network dataset sent before: {len(added)} cases remembered from "
               f"{len(sent)} submissions", request=request)  # fmt: skip
    return len(added)


def checked_rows(
    organisation: Organisation, period_end: str
) -> tuple[list[dict[str, str]], list[str]]:
    """The derived rows that pass the network's row checks, and the references of the cases
    whose rows do not (sorted). One bad stored row (a referral in year 1, kept from before
    dates were checked at the edge) would make the hub refuse the whole submission: it is
    left out, and the admin is told which case to correct (docs/security.md, issue 10 item 17).
    """
    kept, faulty = [], set()
    key = linkage_key(organisation)
    # Without a linkage round's key the rows may be kept, and are read as a report reads them.
    derived = (derive_rows(organisation, period_end, linkage_key=key) if key
               else live_rows(organisation, period_end))  # fmt: skip
    for row in derived:
        # As in the CSV; a row with no formula-like value (nearly every one) as it is.
        written = (
            {column: neutralise(value) for column, value in row.items()}
            if any_formula(row.values())
            else row
        )
        if submission.check_row(written, organisation.code, period_end, VERSION):
            faulty.add(row["case_ref"])
        else:
            kept.append(row)
    if not faulty:
        return kept, []
    with organisation_scope(organisation.pk):
        references = sorted(
            reference
            for pk, reference in Case.objects.filter(organisation=organisation).values_list(
                "pk", "reference"
            )
            if case_ref(Case(pk=pk)) in faulty
        )
    return kept, references


def preview(organisation: Organisation, period_end: str) -> Preview:
    protection, left_out = _protected(organisation, period_end)
    return Preview(
        period_end=period_end,
        protection=protection,
        sha256=submission.csv_sha256(protection.rows),
        linkage_round=open_round_of(organisation),
        left_out=left_out,
    )


def export(
    organisation: Organisation,
    folder: Path,
    period_end: str,
    *,
    expected_sha256: str | None = None,
    by: User | None = None,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """Write the organisation's protected submission into `folder`; the same for the command
    and the web. With `expected_sha256` (the preview the admin saw), refuse with
    PreviewOutdated when the rows are no longer those: nothing is written or audited then."""
    with transaction.atomic():
        before = sent_before(organisation, locked=True)
        protection, _left_out = _protected(organisation, period_end, before)
        if (expected_sha256 is not None
                and submission.csv_sha256(protection.rows) != expected_sha256):  # fmt: skip
            raise PreviewOutdated
        manifest = submission.write(
            folder, organisation.code, period_end, protection.rows,
            protection=protection.manifest_fields(),
        )  # fmt: skip
        _remember(organisation, protection, before)
        _exported(organisation, period_end, manifest, protection, by=by, request=request)
    return manifest


def _exported(
    organisation: Organisation,
    period_end: str,
    manifest: dict[str, Any],
    protection: anonymity.Protection,
    *,
    by: User | None,
    request: HttpRequest | None,
) -> None:
    record(
        by,
        AuditEvent.Action.EXPORT,
        organisation,
        detail=f"network dataset {period_end}, {manifest['rows']} rows, k {protection.k_after}, "
        f"{protection.cells_suppressed} cells suppressed, {protection.withheld} rows withheld"
        + (f", {protection.unlinked} links emptied" if protection.unlinked else "")
        + (f", {protection.kept_as_sent} as sent before" if protection.kept_as_sent else ""),
        organisation_id=organisation.pk,
        request=request,
    )


@transaction.atomic
def import_submission(
    path: Path, *, by: User | None = None, request: HttpRequest | None = None
) -> dict[str, int]:
    """Check the submission whole, then keep it beside the pilot's others, in one transaction
    (the dataset spec, version 2): one per pilot and period end, a new one for a period end
    already held replacing that one.

    Return what changed against the submission it replaces, else the pilot's latest earlier
    one: rows added, changed, unchanged and removed.
    """
    data = submission.read(path)
    # The pilot's submissions, locked: two imports of one pilot run one after the other.
    held = list(Submission.objects.select_for_update().filter(pilot=data.pilot))
    same = next((entry for entry in held if entry.period_end == data.period_end), None)
    earlier = [entry for entry in held if entry.period_end < data.period_end]
    before = same or max(earlier, key=lambda entry: entry.period_end, default=None)
    previous = {row["case_ref"]: row for row in _kept_rows(before)} if before else {}
    if same is not None:
        SubmissionRows.objects.filter(submission=same).delete()
        same.delete()
    stored = Submission.objects.create(
        pilot=data.pilot,
        period_end=data.period_end,
        generated_at=data.generated_at,
        sha256=data.sha256,
        rows=len(data.rows),
        imported_by=by,
        version=data.version,
        k_anonymity=data.k_anonymity,
        suppressed=data.suppressed,
    )
    counts = {"added": 0, "changed": 0, "unchanged": 0, "removed": 0}
    for values in data.rows:
        earlier_values = previous.pop(values["case_ref"], None)
        kind = "added" if earlier_values is None else "changed"
        counts["unchanged" if earlier_values == values else kind] += 1
    counts["removed"] = len(previous)
    SubmissionRows.of(stored, data.rows).save(force_insert=True)
    compared = f"against {before.period_end}" if before is not None else "first"
    record(
        by,
        AuditEvent.Action.CREATE,
        stored,
        detail="network dataset {pilot} {period} ({compared}{replaced}): {added} added, "
        "{changed} changed, {unchanged} unchanged, {removed} removed".format(
            pilot=data.pilot,
            period=data.period_end,
            compared=compared,
            replaced=", replacing it" if same is not None else "",
            **counts,
        ),
        request=request,
    )
    return counts


def rows_for(
    pilots: list[str],
    *,
    source: str,
    end: str,
    by: User | None = None,
    request: HttpRequest | None = None,
    channel: str = "",
) -> Sequence[dict[str, str]]:
    """The rows a report is computed from: derived live, or as imported (an audited read)."""
    if source == "live":
        organisations = Organisation.objects.filter(code__in=pilots).order_by("code")
        return joined([live_rows(organisation, end) for organisation in organisations])
    return imported_rows(pilots, end=end, by=by, request=request, channel=channel)


def imported_rows(
    pilots: list[str],
    *,
    end: str | None = None,
    by: User | None = None,
    request: HttpRequest | None = None,
    channel: str = "",
    read_out: dict[str, rollback.RolledBack] | None = None,
) -> Sequence[dict[str, str]]:
    """The hub's rows of `pilots`, decrypted: for each pilot the submission a report ending
    `end` reads, its rows taken back to `end` (`dataset.rollback`); without `end`, each pilot's
    latest. `read_out`, when given, gets per pilot what was read and what could not be rolled
    back. Every read is audited, in one entry: who read (none: the command line or a job), for
    what, and which submissions (the submission itself is the entry's object when there is
    one)."""
    held = sources.submissions_held(pilots)
    chosen = {pilot: rollback.submission_for(entries, end or "9999-12")
              for pilot, entries in held.items()}  # fmt: skip
    read = {entry.pk: entry for entry in chosen.values() if entry is not None}
    values = {
        read[kept.submission_id].pilot: kept.rows()
        for kept in SubmissionRows.objects.filter(submission__in=list(read))
    }
    parts = []
    for pilot, entry in sorted(chosen.items()):
        if entry is None:
            continue
        as_of = end or entry.period_end
        taken = rollback.roll_back(values.get(pilot, []), period_end=entry.period_end, end=as_of)
        parts.append(taken.rows)
        if read_out is not None:
            read_out[pilot] = taken
    rows = joined(parts)
    if read:
        names = ", ".join(sorted(str(entry) for entry in read.values()))
        record(
            by,
            AuditEvent.Action.VIEW,
            next(iter(read.values())) if len(read) == 1 else None,
            detail=f"network dataset read ({channel or 'report'}): {names}"[:200],
            request=request,
        )
    return rows


def joined(parts: list[Sequence[dict[str, str]]]) -> Sequence[dict[str, str]]:
    """The rows of `parts` one after the other: column by column where a part is (a report then
    takes its columns as they are, and numbers only the other parts'), else a list of dicts."""
    parts = [part for part in parts if len(part)]
    if not any(isinstance(part, StoredRows) for part in parts):
        return [row for part in parts for row in part]
    return StoredRows.joined(
        [part if isinstance(part, StoredRows) else StoredRows.of(part, COLUMNS) for part in parts]
    )


def _kept_rows(entry: Submission) -> Sequence[dict[str, str]]:
    kept = SubmissionRows.objects.filter(submission=entry).first()
    return kept.rows() if kept is not None else []


def submissions_read(pilots: list[str], end: str) -> list[dict[str, Any]]:
    """Per pilot, the submission a report ending `end` reads from the hub and what of it could
    not be rolled back to `end` (the report's coverage; no row is read)."""
    held = sources.submissions_held(pilots)
    read = []
    for pilot, entries in sorted(held.items()):
        chosen = rollback.submission_for(entries, end)
        if chosen is not None:
            read.append(rollback.coverage_entry(pilot, chosen.period_end, chosen.version, end))
    return read


def purge_submissions(now: datetime.datetime | None = None) -> int:
    """Delete the submissions imported longer ago than the network's retention
    (`ENGAGE_NETWORK_RETENTION_MONTHS`), with their rows; return how many. Idempotent."""
    now = now or timezone.now()
    months = settings.ENGAGE_NETWORK_RETENTION_MONTHS
    index = now.year * 12 + now.month - 1 - months
    day = min(now.day, 28)  # the same day `months` earlier, near enough for a retention
    cutoff = now.replace(year=index // 12, month=index % 12 + 1, day=day)
    expired = list(Submission.objects.filter(imported_at__lt=cutoff).order_by("imported_at"))
    with transaction.atomic():
        for old in expired:
            SubmissionRows.objects.filter(submission=old).delete()
            record(None, AuditEvent.Action.ERASE, old,
                   detail=f"network dataset {old} deleted after {months} months")  # fmt: skip
            old.delete()
    return len(expired)


@dataclass(frozen=True)
class Counted:
    """Rows as a report at `level` counts them, with their keys: made once for several
    reports of the same rows (`prepare`; a dashboard's period and its quarters)."""

    rows: Sequence[dict[str, str]]
    level: str
    keyed: indicators.KeyedRows | None
    table: indicators.Table


def prepare(rows: Sequence[dict[str, str]], level: str) -> Counted:
    """The rows as the indicators count them at `level`, and their keys.

    Small cities are counted as `unknown` (over all the rows given, whatever a report's period),
    so every cell key, the coverage's and the series' too, has the same population as the
    indicators': one count shown twice is one draw of the noise, not two a reader could
    average. Below `exact`, the rows' record and population keys are hashed here, once for
    every report of these rows (100,000 rows: two HMACs each; a dashboard makes seven reports
    of the same rows, issue 17), and their breakdowns' codes (`indicators.Table`)."""
    keys = disclosure.Perturbation.of_instance() if level != "exact" else None
    smallest_city = disclosure.LEVELS[level].threshold + 1 if keys is not None else 0
    with collection_paused():  # the rows' keys and codes: kept, none of them garbage
        counted = indicators.merge_small_cities(rows, smallest_city)
        keyed = indicators.KeyedRows(keys, counted) if keys is not None else None
        return Counted(counted, level, keyed, indicators.Table(counted, keyed))


def _prepared(rows: Sequence[dict[str, str]] | Counted, level: str) -> Counted:
    prepared = rows if isinstance(rows, Counted) else prepare(rows, level)
    if prepared.level != level:
        raise ValueError(f"rows prepared for {prepared.level}, not {level}")
    return prepared


def report(
    rows: Sequence[dict[str, str]] | Counted,
    *,
    start: str,
    end: str,
    pilots: list[str],
    level: str,
    baseline: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The report as data (the spec's JSON shape), disclosure control applied.

    Below `exact`, every count about people is perturbed with the instance's record keys (the
    cell-key method, `disclosure.Perturbation`), so the same rows give the same numbers in every
    report, live or imported alike. `rows` may come `prepare`d, for `level` only."""
    prepared = _prepared(rows, level)
    counted, keyed = prepared.rows, prepared.keyed
    computed = indicators.compute_from(prepared.table, start, end, baseline)
    shown = disclosure.apply([r.as_dict() for r in computed], level)
    figures = disclosure.report_figures(
        shown, rows=(len(counted), _rows_key(keyed)),
        cohort=indicators.cohort_size(prepared.table, end),
        caseload=indicators.caseload_by_month(prepared.table, start, end), end=end,
        level_name=level,
    )  # fmt: skip
    return {
        "period": {"start": start, "end": end},
        "disclosure": level,
        "scope": {"pilots": sorted(pilots)},
        "baseline": {"start": baseline[0], "end": baseline[1]} if baseline else None,
        # Every count about people below goes through `disclosure` at the report's level.
        "has_data": figures["has_data"],
        "coverage": figures["coverage"],
        "indicators": shown,
        # Beyond the spec's shape (which it keeps): BEN-01 at the end of each month.
        "series": figures["series"],
    }


def active_and_new(
    rows: Sequence[dict[str, str]] | Counted, *, start: str, end: str, level: str
) -> dict[str, dict[str, Any]]:
    """BEN-01 and BEN-02 of the period [start, end] at `level`, by id, as `report` shows them:
    the same cells and disclosure control (a count's suppression reads its own breakdowns only;
    `tests/mel/test_whole_output.py` holds them to the whole report's), without the other
    indicators. A dashboard's quarters need these two (issue 17: six whole reports of 100,000
    rows were most of a hub's network dashboard)."""
    computed = indicators.active_and_new(_prepared(rows, level).table, start, end)
    shown = disclosure.apply([result.as_dict() for result in computed], level)
    return {indicator["id"]: indicator for indicator in shown}


def _rows_key(keyed: indicators.KeyedRows | None) -> int | None:
    """The cell key of every row of the report (record keys plus the population's)."""
    if keyed is None:
        return None
    return keyed.of_all() + keyed.population()


# Reports as files: the same bytes for `engage mel_report` and the web.

REPORT_FORMATS = ("json", "html", "pdf", "xlsx")
PILOT_STAFF = (Role.SUPERVISOR, Role.ORG_ADMIN)


def default_pilots(source: str) -> list[str]:
    """Every pilot of the source: this instance's organisations, or those imported."""
    if source == "live":
        return list(Organisation.objects.order_by("code").values_list("code", flat=True))
    return SubmissionRows.pilots()


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
    if source != "live" or by.organisation is None or list(pilots) != [by.organisation.code]:
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
    overrides: dict[str, str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """The report as data for whoever asks; an `exact` one is audited each time.

    `baseline` defaults to the period of the same length just before; no `pilots` means every
    pilot of the source. `source` is `live`, `imported` or `auto`: each pilot from its own
    source (`sources.choose`, with the coordinator's `overrides`), named in the result's
    `sources`. `channel` says where it was asked for, for the audit log. `progress`, when
    given, is told each step as it starts: its name (`PROGRESS_STEPS`, `live` with the pilot
    as `live:<pilot>`), its number and how many there are.
    """
    chosen = sources.choose(list(pilots) or None, end=end, source=source, overrides=overrides)
    pilots = [entry.pilot for entry in chosen]
    check_report_access(by, pilots=pilots, source=source, level=level)
    steps = _Steps(progress, chosen)
    steps("sources")
    baseline = baseline or indicators.baseline_before(start, end)
    rows = sources.rows(chosen, end=end, by=by, request=request, channel=channel, progress=steps)
    steps("indicators")
    result = report(rows, start=start, end=end, pilots=pilots, level=level, baseline=baseline)
    result["sources"] = [entry.as_dict() for entry in chosen]
    # The coverage says which submission of each imported pilot was read, and what of it
    # could not be rolled back to `end` (the dataset spec, version 2).
    imported = [entry.pilot for entry in chosen if entry.source == sources.IMPORTED]
    result["coverage"]["submissions"] = submissions_read(imported, end) if imported else []
    # Parts of other apps (the network's NET-* and cost comparison, from live records): the
    # network's own records count in the coordinator's and the command line's reports.
    network = by is None or by.role == Role.NETWORK_COORDINATOR
    steps("parts")
    parts.extend(result, start=start, end=end, pilots=pilots, network=network)
    # The evaluators' narrative of the same period and pilots, in the network's own reports.
    if network:
        evaluation = published.for_report(start=start, end=end, pilots=pilots, level=level)
        if evaluation is not None:
            result["evaluation"] = evaluation
    if level == "exact":
        said = source if source != sources.AUTO else "per-pilot (" + sources.summary(chosen) + ")"
        record_exact(
            by, start=start, end=end, source=said, pilots=pilots, channel=channel,
            request=request,
        )  # fmt: skip
    return result


# The steps of a report, as `report_for` tells its `progress` (`live` once per pilot read live).
PROGRESS_STEPS = ("sources", "live", "imported", "indicators", "parts")


class _Steps:
    """Tell `progress` each step of a report as it starts, numbered out of all of them."""

    def __init__(
        self,
        progress: Callable[[str, int, int], None] | None,
        chosen: list[sources.PilotSource],
    ) -> None:
        self.progress = progress
        live = sum(1 for entry in chosen if entry.source == sources.LIVE)
        imported = any(entry.source == sources.IMPORTED for entry in chosen)
        self.total = 3 + live + (1 if imported else 0)
        self.done = 0

    def __call__(self, step: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(step, self.done, self.total)


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


def report_bytes(result: dict[str, Any], fmt: str) -> bytes:
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
