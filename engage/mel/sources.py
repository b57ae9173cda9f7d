"""Where each pilot's figures come from in the network's report and dashboard (issue 14, #3).

A pilot is read either **live** (its cases on this instance, through `derive_rows`, the same
mapping the export uses: de-identified, each case's row kept only encrypted beside its case
(`dataset.case_rows`), no `person_ref`) or
**imported** (the hub's submission of it, an audited read). Both then go through the same
report and the same disclosure control.

The default (`AUTO`) for each pilot: read live when the pilot has cases on this instance and
no submission that reaches the report's end month (a submission for that month or later is the
pilot's checked, k-protected word for the period, so it wins); otherwise read imported. The
coordinator may choose a pilot's source instead (`overrides`).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from engage.accounts.models import Organisation, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.mel.dataset import rollback
from engage.mel.models import Submission, SubmissionRows

LIVE, IMPORTED, AUTO = "live", "imported", "auto"
SOURCES = (LIVE, IMPORTED)


@dataclass(frozen=True)
class PilotSource:
    """One pilot's source in a report: live (as of `end`) or an imported submission."""

    pilot: str
    source: str  # LIVE or IMPORTED
    period_end: str  # live: the report's end; imported: the submission's period end
    imported_at: str | None = None  # imported: when the submission was imported (ISO 8601)
    chosen: bool = False  # the coordinator chose it (else the default rule)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pilot": self.pilot,
            "source": self.source,
            "period_end": self.period_end,
            "imported_at": self.imported_at,
            "chosen": self.chosen,
        }


def on_this_instance() -> set[str]:
    """The codes of the organisations with at least one case here (one query, no case read:
    the join only tells a case exists)."""
    return set(
        Organisation.objects.filter(cases__isnull=False).values_list("code", flat=True).distinct()
    )


def submissions_held(pilots: list[str]) -> dict[str, list[Submission]]:
    """Each pilot's submissions whose rows the hub holds, oldest period end first: every
    version 2 import, and of version 1's, the one whose rows replaced the others'. An empty
    submission is held too (an empty list): a report ending before it reads it, as the spec
    says, and a source named here is the submission a report reads (`rollback.submission_for`,
    `services.imported_rows`)."""
    held: dict[str, list[Submission]] = {}
    holding = Submission.objects.filter(SubmissionRows.held(), pilot__in=pilots)
    for entry in holding.order_by("pilot", "period_end", "imported_at"):
        held.setdefault(entry.pilot, []).append(entry)
    return held


def default_pilots(source: str = AUTO) -> list[str]:
    """Every pilot of a source: live, the organisations here; imported, those held; auto, both
    (an organisation without cases or submission has no figures either way)."""
    imported = set(SubmissionRows.pilots())
    if source == IMPORTED:
        return sorted(imported)
    if source == LIVE:
        return list(Organisation.objects.order_by("code").values_list("code", flat=True))
    return sorted(imported | on_this_instance())


def choose(
    pilots: list[str] | None,
    *,
    end: str,
    source: str = AUTO,
    overrides: Mapping[str, str] | None = None,
) -> list[PilotSource]:
    """Each pilot's source for a report ending `end`.

    `source` LIVE or IMPORTED reads every pilot from it; AUTO applies the default rule to each
    pilot, unless `overrides` names its source.
    """
    pilots = sorted(pilots) if pilots else default_pilots(source)
    held = submissions_held(pilots)
    here = on_this_instance() if source == AUTO else set()
    chosen: list[PilotSource] = []
    for pilot in pilots:
        wanted = (overrides or {}).get(pilot) if source == AUTO else source
        if wanted not in SOURCES:
            read = rollback.submission_for(held.get(pilot, []), end)
            newer = read is not None and read.period_end >= end
            wanted = LIVE if pilot in here and not newer else IMPORTED
            is_chosen = False
        else:
            is_chosen = source == AUTO
        if wanted == LIVE:
            chosen.append(PilotSource(pilot, LIVE, end, chosen=is_chosen))
            continue
        read = rollback.submission_for(held.get(pilot, []), end)
        chosen.append(
            PilotSource(
                pilot,
                IMPORTED,
                read.period_end if read else "",
                read.imported_at.isoformat(timespec="seconds") if read else None,
                chosen=is_chosen,
            )
        )
    return chosen


def summary(sources: list[PilotSource]) -> str:
    """The sources in a line, for the audit log: `BG-CLA live, CY-CYRC imported 2024-06`."""
    return ", ".join(
        f"{s.pilot} {s.source}" + (f" {s.period_end}" if s.source == IMPORTED else "")
        for s in sources
    )


def rows(
    sources: list[PilotSource],
    *,
    end: str,
    by: User | None = None,
    request: HttpRequest | None = None,
    channel: str = "",
    progress: Callable[[str], None] | None = None,
) -> Sequence[dict[str, str]]:
    """The rows of each pilot from its source. Live rows are derived in memory in each
    organisation's own scope (`derive_rows`), kept nowhere but beside each case, encrypted
    (`dataset.case_rows`), and the derivation is audited like a read of imported rows.
    `progress` is told `live:<pilot>` before each pilot read live and `imported` before the
    imported submissions are read."""
    from engage.mel import services  # services imports this module

    live = [s.pilot for s in sources if s.source == LIVE]
    imported = [s.pilot for s in sources if s.source == IMPORTED]
    parts: list[Sequence[dict[str, str]]] = []
    if live:
        for pilot in sorted(live):  # in the order of rows_for's organisations, by code
            if progress is not None:
                progress(f"{LIVE}:{pilot}")
            parts.append(services.rows_for([pilot], source=LIVE, end=end))
        record(
            by,
            AuditEvent.Action.VIEW,
            None,
            detail=(
                f"network dataset derived live ({channel or 'report'}) as of {end}: "
                + ", ".join(live)
            )[:200],
            request=request,
        )
    if imported:
        if progress is not None:
            progress(IMPORTED)
        parts.append(services.rows_for(imported, source=IMPORTED, end=end, by=by,
                                       request=request, channel=channel))  # fmt: skip
    # Column by column, as read (`StoredRows`), which a report takes as they are.
    return services.joined(parts)
