"""Evaluation cycles: a term's points (baseline, 6 months, mid-term, end of term), a frozen
snapshot of the report at each, the evaluators' narrative per outcome area, and the snapshots
side by side.

A snapshot stores the report's JSON as it was computed, with disclosure control already applied:
it is never recomputed, so a correction imported later shows in the next snapshot and never
silently changes a published figure.
"""

import json
import re
from itertools import pairwise
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts.models import Organisation, Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.lib import dates
from engage.lib.concurrency import ConcurrentEditError, save_versioned
from engage.mel import services
from engage.mel.cycles import feedback
from engage.mel.models import EvaluationCycle, Narrative, Snapshot, SubmissionRows
from engage.mel.report import indicators, parts
from engage.mel.report.disclosure import LEVELS

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
POINTS = [choice.value for choice in EvaluationCycle.Point]
POINT_FIELDS = ("baseline", "six_months", "midterm", "end_of_term")
NARRATIVE_FIELDS = ("relevance", "progress", "adaptations", "lessons", "recommendations")
# Which outcome area each indicator belongs to (by the prefix of its id).
AREA_OF_PREFIX = {
    "BEN": Narrative.Area.BENEFICIARIES,
    "ENG": Narrative.Area.ENGAGEMENT,
    "RES": Narrative.Area.RESOLUTION,
    "CAP": Narrative.Area.CAPABILITY,
    "CON": Narrative.Area.CONTACT,
    "GRO": Narrative.Area.GROWTH,
    "TIM": Narrative.Area.ENGAGEMENT,  # time in programme: how long clients stay engaged
}
AREAS = [choice.value for choice in Narrative.Area]


def _require_coordinator(by: User) -> None:
    if by is None or by.role != Role.NETWORK_COORDINATOR:
        raise PermissionDenied("Evaluation cycles are the network coordinator's.")


@transaction.atomic
def define_cycle(*, by: User, data: dict[str, Any]) -> EvaluationCycle:
    """Create a cycle; its months must be real and in the order of the term."""
    _require_coordinator(by)
    months = ("period_start", *POINT_FIELDS)
    errors: dict[str, list[str]] = {}
    for name in months:
        if not MONTH.match(str(data.get(name, ""))):
            errors.setdefault(name, []).append(_("Enter a month as YYYY-MM."))
            continue
        try:
            dates.validate_plausible_month(data[name])  # not year 1 or 9999 (issue 10, 17)
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)
    if not str(data.get("name", "")).strip():
        errors["name"] = [_("Give the cycle a name.")]
    if not errors:
        for before, after in pairwise(months):
            if data[after] < data[before]:
                errors.setdefault(after, []).append(_("This point comes before the previous one."))
    if errors:
        raise ValidationError(errors)
    cycle = EvaluationCycle.objects.create(
        name=data["name"].strip(), created_by=by, **{name: data[name] for name in months}
    )
    record(by, AuditEvent.Action.CREATE, cycle, detail="evaluation cycle")
    return cycle


@transaction.atomic
def delete_cycle(cycle: EvaluationCycle, *, by: User) -> None:
    """Delete a cycle that has no snapshot yet (a published figure is never deleted)."""
    _require_coordinator(by)
    if cycle.snapshots.exists():
        raise ValidationError(_("This cycle has snapshots: it can no longer be deleted."))
    if cycle.questionnaires.exists():
        raise ValidationError(
            _("This cycle has a members' questionnaire: it can no longer be deleted.")
        )
    record(by, AuditEvent.Action.UPDATE, None, detail="evaluation cycle deleted")
    cycle.delete()


def take_snapshot(
    cycle: EvaluationCycle,
    point: str,
    *,
    by: User,
    level: str,
    source: str = "imported",
    pilots: list[str] | None = None,
    request: HttpRequest | None = None,
) -> Snapshot:
    """Compute the report of the term up to `point` and store it, frozen."""
    _require_coordinator(by)
    if point not in POINTS:
        raise ValidationError({"point": _("Choose baseline, 6 months, mid-term or end of term.")})
    if level not in LEVELS:
        raise ValidationError({"disclosure": _("Choose a disclosure level.")})
    if source not in ("live", "imported"):
        raise ValidationError({"source": _("Choose live or imported data.")})
    start, end = cycle.period_start, cycle.month_of(point)
    if end > timezone.localdate().strftime("%Y-%m"):
        raise ValidationError({"point": _("This point is still in the future.")})
    if cycle.snapshots.filter(point=point).exists():
        raise ValidationError({"point": _("A snapshot of this point was already taken.")})
    pilots = sorted(pilots or _all_pilots(source))
    if not pilots:
        # Frozen with no pilot, the point's figures said "no client in the programme", and the
        # point could not be taken again.
        raise ValidationError(
            {
                "source": _(
                    "No pilot's submission has been imported: import them first, or take the "
                    "figures from this instance's live cases."
                )
            }
        )
    rows = services.rows_for(pilots, source=source, end=end, by=by, request=request,
                             channel=f"evaluation snapshot {point}")  # fmt: skip
    baseline = indicators.baseline_before(start, end)
    report = services.report(
        rows, start=start, end=end, pilots=pilots, level=level, baseline=baseline
    )
    # The network-building indicators (NET-*) and the cost comparison are frozen with the rest:
    # the coordinator's snapshot counts the network's own records too, as their report does.
    parts.extend(report, start=start, end=end, pilots=pilots, network=True)
    # The members' feedback of the point (NET-15): its results as they may be shown, frozen.
    feedback.freeze(report, cycle, point, level)
    try:
        with transaction.atomic():
            snapshot = Snapshot.objects.create(
                cycle=cycle,
                point=point,
                pilots=pilots,
                disclosure=level,
                source=source,
                report=report,
                created_by=by,
            )
    except IntegrityError:  # taken by someone else a moment ago
        raise ValidationError({"point": _("A snapshot of this point was already taken.")}) from None
    detail = f"evaluation snapshot {point} {start}..{end}, {level}, {source}"
    record(by, AuditEvent.Action.EXPORT if level == "exact" else AuditEvent.Action.CREATE,
           snapshot, detail=detail, request=request)  # fmt: skip
    return snapshot


def _all_pilots(source: str) -> list[str]:
    if source == "live":
        return list(Organisation.objects.order_by("code").values_list("code", flat=True))
    return SubmissionRows.pilots()


def narrative_for(snapshot: Snapshot, area: str) -> Narrative:
    """The narrative of one area (unsaved and empty if nobody wrote it yet)."""
    found = snapshot.narratives.filter(area=area).first()
    return found or Narrative(snapshot=snapshot, area=area)


@transaction.atomic
def save_narrative(
    snapshot: Snapshot,
    area: str,
    *,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
) -> Narrative:
    """Write the narrative of one area; refuse if someone else saved it since it was opened
    (ConcurrentEditError). `expected_version` None means the editor saw no narrative yet."""
    _require_coordinator(by)
    if area not in AREAS:
        raise ValidationError({"area": _("Choose an outcome area.")})
    values = {name: str(data.get(name, "")).strip() for name in NARRATIVE_FIELDS}
    existing = snapshot.narratives.filter(area=area).first()
    if existing is None:
        if expected_version is not None:
            raise ConcurrentEditError
        try:
            with transaction.atomic():
                narrative = Narrative.objects.create(
                    snapshot=snapshot, area=area, updated_by=by, **values
                )
        except IntegrityError:  # written by someone else a moment ago
            raise ConcurrentEditError from None
    else:
        if expected_version is None:
            raise ConcurrentEditError
        for name, value in values.items():
            setattr(existing, name, value)
        existing.updated_by = by
        existing.updated_at = timezone.now()
        save_versioned(
            existing,
            expected_version=expected_version,
            fields=[*NARRATIVE_FIELDS, "updated_by", "updated_at"],
        )
        narrative = existing
    record(by, AuditEvent.Action.UPDATE, snapshot, detail=f"evaluation narrative {area}")
    return narrative


def comparison(
    cycle: EvaluationCycle,
    *,
    by: User | None = None,
    request: HttpRequest | None = None,
    channel: str = "shown",
) -> dict[str, Any]:
    """The cycle's snapshots side by side, per indicator, with the narratives: as data.

    Every number is the snapshot's own, as published; nothing is recomputed. Given to `by`
    (on a page or in a file: `channel`), exact figures in it are logged each time."""
    from engage.mel.report.render import name_of  # names only; render imports nothing from here

    snapshots = sorted(
        cycle.snapshots.prefetch_related("narratives"), key=lambda s: POINTS.index(s.point)
    )
    if by is not None and any(s.disclosure == "exact" for s in snapshots):
        record(by, AuditEvent.Action.EXPORT, cycle, request=request,
               detail=f"evaluation comparison with exact figures {channel}")  # fmt: skip
    points = [
        {
            "point": s.point,
            "label": str(s.get_point_display()),
            "period": s.report["period"],
            "disclosure": s.disclosure,
            "source": s.source,
            "pilots": s.pilots,
            "has_data": s.report.get("has_data", True),
            "taken_at": s.created_at.strftime("%Y-%m-%d"),
        }
        for s in snapshots
    ]
    ids: list[str] = []
    for s in snapshots:
        ids += [i["id"] for i in s.report["indicators"] if i["id"] not in ids]
    rows = []
    for indicator_id in ids:
        cells = []
        for s in snapshots:
            found = next((i for i in s.report["indicators"] if i["id"] == indicator_id), None)
            cells.append(
                None
                if found is None
                else {
                    name: found.get(name)
                    for name in ("numerator", "denominator", "value", "withheld")
                    if name in found
                }
            )
        rows.append(
            {
                "id": indicator_id,
                "name": str(name_of(indicator_id)),  # the NET-* by their part's names
                "area": AREA_OF_PREFIX.get(indicator_id.split("-")[0], ""),
                "kind": _kind(snapshots, indicator_id),
                "cells": cells,
            }
        )
    narratives = []
    for area in AREAS:
        written = []
        for s in snapshots:
            found = next((n for n in s.narratives.all() if n.area == area), None)
            if found is not None and any(getattr(found, f) for f in NARRATIVE_FIELDS):
                written.append(
                    {"point": s.point, **{f: getattr(found, f) for f in NARRATIVE_FIELDS}}
                )
        narratives.append(
            {"area": area, "label": str(Narrative.Area(area).label), "by_point": written}
        )
    return {
        "cycle": {"name": cycle.name, "period_start": cycle.period_start},
        "points": points,
        "indicators": rows,
        "narratives": narratives,
    }


def _kind(snapshots: list[Snapshot], indicator_id: str) -> str:
    """How a figure is printed: a share with its counts ("percentage"), or its value alone (a
    count, TIM-01's median months, CON-02's rate)."""
    if indicator_id in indicators.NOT_PERCENTAGES:
        return "rate"
    return "percentage" if _is_ratio(snapshots, indicator_id) else "count"


def _is_ratio(snapshots: list[Snapshot], indicator_id: str) -> bool:
    for s in snapshots:
        for i in s.report["indicators"]:
            if i["id"] == indicator_id:
                return "denominator" in i
    return False


def snapshot_disclosed(
    snapshot: Snapshot, *, by: User, channel: str, request: HttpRequest | None = None
) -> dict[str, Any]:
    """The stored report of a snapshot, `channel` "shown" on a page or "downloaded" as a
    file; exact figures are logged each time, as the exact report's are."""
    _require_coordinator(by)
    if snapshot.disclosure == "exact":
        record(by, AuditEvent.Action.EXPORT, snapshot, request=request,
               detail=f"evaluation snapshot {snapshot.point}: exact figures {channel}")  # fmt: skip
    report: dict[str, Any] = snapshot.report
    return report


def comparison_bytes(
    cycle: EvaluationCycle, fmt: str, *, by: User, request: HttpRequest | None = None
) -> bytes:
    """The comparison as a file: json, html or pdf. Exact figures in it are logged."""
    from engage.mel.report import render

    _require_coordinator(by)
    data = comparison(cycle, by=by, request=request, channel="downloaded")
    if fmt == "json":
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    if fmt == "html":
        return render.comparison_html(data).encode()
    if fmt == "pdf":
        return render.comparison_pdf(data)
    raise ValueError(f"unknown format {fmt!r}")
