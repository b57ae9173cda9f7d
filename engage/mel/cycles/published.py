"""The evaluators' narrative that goes with a report: the one written for the snapshot of the
same period, the same pilots and a disclosure level at least as strict as the report's.

A narrative is free text written against the figures of its snapshot, so it may quote them:
a report at a looser level than the snapshot's (exact figures, say, for a `public` snapshot's
narrative) would be fine, the other way round it could print a count the report hides. Only the
network's own reports carry it (a coordinator's or the command line's): the narratives are the
network coordinator's.
"""

from typing import Any

from engage.mel.models import Narrative, Snapshot
from engage.mel.report.disclosure import LEVELS

FIELDS = ("relevance", "progress", "adaptations", "lessons", "recommendations")


def for_report(*, start: str, end: str, pilots: list[str], level: str) -> dict[str, Any] | None:
    """The narrative of the snapshot that matches the report, as data; None without one."""
    for snapshot in (
        Snapshot.objects.filter(cycle__period_start=start)
        .select_related("cycle")
        .prefetch_related("narratives")
        .order_by("-created_at")
    ):
        if snapshot.cycle.month_of(snapshot.point) != end:
            continue
        if sorted(snapshot.pilots) != sorted(pilots):
            continue
        stricter = LEVELS.get(snapshot.disclosure, LEVELS["exact"]).threshold
        if stricter < LEVELS[level].threshold:
            continue
        return _as_data(snapshot)
    return None


def _as_data(snapshot: Snapshot) -> dict[str, Any] | None:
    areas = []
    written = {n.area: n for n in snapshot.narratives.all()}
    for area in Narrative.Area:
        narrative = written.get(area.value)
        if narrative is None:
            continue
        fields = [
            {"name": name, "text": getattr(narrative, name)}
            for name in FIELDS
            if getattr(narrative, name).strip()
        ]
        if fields:
            areas.append({"area": area.value, "fields": fields})
    if not areas:
        return None
    return {
        "cycle": snapshot.cycle.name,
        "point": snapshot.point,
        "taken_at": snapshot.created_at.date().isoformat(),
        "areas": areas,
    }
