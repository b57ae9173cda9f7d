"""What the evidence dashboards show: the key indicators per pilot, country or city and in total,
their trend, and each pilot's data freshness.

Every figure comes from `services.report` (the indicators with disclosure control applied), so a
dashboard never shows a number the report for the same rows would not. The rows are loaded once;
the queries do not grow with the number of pilots.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from django.http import HttpRequest
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation, User
from engage.cases.models.closure import DisengagementFactor
from engage.mel import services, sources
from engage.mel.models import Submission
from engage.mel.report import disclosure, labels, parts
from engage.mel.report.indicators import NOT_RECORDED, baseline_before
from engage.mel.report.render import NAMES as REPORT_NAMES

KEY_INDICATORS = (
    "BEN-01",
    "BEN-02",
    "BEN-03",
    "ENG-01",
    "ENG-02",
    "ENG-03",
    "RES-01",
    "CAP-01",
    "CAP-02",
    "CAP-03",
)
ENGAGEMENT = ("ENG-01", "ENG-02", "ENG-03")
# The report's names, and those of a pilot's own figures (liaison.report names them for the
# report; mel does not import it).
NAMES = {
    **REPORT_NAMES,
    "REP-01": _("Reporting days met"),
    "REP-02": _("Release requests made"),
}
ENGAGEMENT_LABELS = {
    "ENG-01": _("Remained engaged"),
    "ENG-02": _("Disengaged or absconded"),
    "ENG-03": _("Forcibly removed"),
}
TREND_POINTS = 6  # quarter ends, oldest first
CHART_WIDTH = 240  # the longest bar, in the chart's own units (see mel/_bar_chart.html)
# Each bar under its own label, the whole width for either: a label beside its bar ran into
# the value in Greek, Polish and Bulgarian ("Διακοπή συμμετοχής ή διαφυγή" over "αποκρύπτεται").
BAR_ROW = 46  # a label's line and its bar


@dataclass(frozen=True)
class Cell:
    """One figure as shown: `text` is what the reader sees, `value` the number for a chart."""

    text: str
    value: float | int | None
    detail: str = ""
    withheld: bool = False


def _cell(entry: dict[str, Any] | None, *, is_ratio: bool) -> Cell:
    if entry is None:
        # No row of this group at all: zero people, no percentage.
        return Cell("—", None) if is_ratio else Cell("0", 0)
    if not is_ratio:
        count = entry.get("numerator")
        if count is None:
            return Cell(str(_("withheld")), None, withheld=True)
        return Cell(str(count), count if isinstance(count, int) else None)
    value = entry.get("value")
    n, d = entry.get("numerator"), entry.get("denominator")
    detail = f"{'—' if n is None else n} / {'—' if d is None else d}"
    if value is None:
        if entry.get("withheld"):
            return Cell(str(_("withheld")), None, detail, withheld=True)
        return Cell("—", None, detail)
    return Cell(f"{formats.number_format(value)}%", value, detail)  # 42,9% in French


def _is_ratio(indicator: dict[str, Any]) -> bool:
    return "denominator" in indicator


def indicator_table(report: dict[str, Any], dimension: str | None = None) -> dict[str, Any]:
    """The key indicators as a table: a line per key of `dimension` and the total line."""
    indicators = {item["id"]: item for item in report["indicators"]}
    columns: list[dict[str, Any]] = [
        {"id": code, "name": NAMES[code], "ratio": _is_ratio(indicators[code])}
        for code in KEY_INDICATORS
        if code in indicators
    ]
    lines: list[dict[str, Any]] = []
    if dimension:
        keys = sorted(
            {
                cell["key"]
                for code in KEY_INDICATORS
                if code in indicators
                for cell in indicators[code].get("by", {}).get(dimension, [])
            }
        )
        for key in keys:
            cells = []
            for column in columns:
                entries = indicators[column["id"]].get("by", {}).get(dimension, [])
                entry = next((cell for cell in entries if cell["key"] == key), None)
                cells.append(_cell(entry, is_ratio=column["ratio"]))
            # The key as the data has it, and in words: a country's name, "Not known".
            lines.append({"key": key, "label": labels.key(dimension, key), "cells": cells})
    total = [_cell(indicators[column["id"]], is_ratio=column["ratio"]) for column in columns]
    return {"columns": columns, "lines": lines, "total": total}


def _number(value: float | None, *, withheld: bool) -> Cell:
    """A median or a rate as shown (the language's decimal sign), withheld, or none."""
    if value is None:
        return Cell(str(_("withheld")), None, withheld=True) if withheld else Cell("—", None)
    return Cell(formats.number_format(value), value)


def programme(report: dict[str, Any]) -> dict[str, Any]:
    """Time in programme (TIM-01: the median and the clients in each band of months) and
    contact frequency (CON-02: contacts per client per month; CON-01: the face-to-face share),
    as the report shows them."""
    indicators = {item["id"]: item for item in report["indicators"]}
    tim, con1, con2 = (indicators.get(code) for code in ("TIM-01", "CON-01", "CON-02"))
    lines: list[dict[str, Any]] = []
    if tim is not None:
        lines.append({"id": "TIM-01", "name": NAMES["TIM-01"],
                      "cell": _number(tim.get("value"), withheld=bool(tim.get("withheld")))})  # fmt: skip
    if con2 is not None:
        lines.append({"id": "CON-02", "name": NAMES["CON-02"],
                      "cell": _number(con2.get("value"), withheld=bool(con2.get("withheld")))})  # fmt: skip
    if con1 is not None:
        lines.append({"id": "CON-01", "name": NAMES["CON-01"], "cell": _cell(con1, is_ratio=True)})
    bands = [
        (cell["key"], _cell(cell, is_ratio=False))
        for cell in (tim or {}).get("by", {}).get("months", [])
    ]
    chart = _chart(_("Clients by months in the programme (TIM-01)"), bands, percent=False)
    return {"lines": lines, "months_chart": chart}


def _signed(entry: dict[str, Any] | None) -> Cell:
    """A growth as shown: "+12.5%", withheld, or "—" (no baseline, or none in it)."""
    if entry is None:
        return Cell("—", None)
    value = entry.get("value")
    if value is None:
        return (
            Cell(str(_("withheld")), None, withheld=True)
            if entry.get("withheld")
            else Cell("—", None)
        )
    sign = "+" if value > 0 else ""
    return Cell(f"{sign}{formats.number_format(value)}%", value)


def growth(report: dict[str, Any]) -> dict[str, Any]:
    """GRO-01 (new clients) and GRO-02 (clients supported, the plan's total beneficiaries)
    against the baseline period, with the network's target band."""
    indicators = {item["id"]: item for item in report["indicators"]}
    lines = [
        {"id": code, "name": NAMES[code], "cell": _signed(indicators.get(code))}
        for code in ("GRO-01", "GRO-02")
        if code in indicators
    ]
    return {"lines": lines, "baseline": report.get("baseline")}


def caseload(report: dict[str, Any]) -> dict[str, Any]:
    """CAS-01: the median of the active clients per case manager at the period's end, how many
    case managers it is over, and the case managers per band of caseload. Never a case
    manager's own figure: their refs are not in the report."""
    cas = next((item for item in report["indicators"] if item["id"] == "CAS-01"), None)
    if cas is None:
        return {"lines": [], "chart": None}
    lines: list[dict[str, Any]] = [
        {"id": "CAS-01", "name": NAMES["CAS-01"],
         "cell": _number(cas.get("value"), withheld=bool(cas.get("withheld")))},
        {"id": "", "name": _("Case managers with active clients"),
         "cell": _cell(cas, is_ratio=False)},
    ]  # fmt: skip
    bands = [
        (str(_("%(band)s clients") % {"band": cell["key"]}), _cell(cell, is_ratio=False))
        for cell in cas.get("by", {}).get("caseload", [])
    ]
    chart = _chart(_("Case managers by number of active clients (CAS-01)"), bands, percent=False)
    return {"lines": lines, "chart": chart}


FACTOR_NAMES = {**dict(DisengagementFactor.choices), NOT_RECORDED: _("No factor recorded")}


def factors(report: dict[str, Any]) -> dict[str, Any]:
    """ENG-04: the disengaged clients and how many had each factor recorded (a client may have
    several), as the report shows them."""
    eng = next((item for item in report["indicators"] if item["id"] == "ENG-04"), None)
    if eng is None:
        return {"total": None, "lines": []}
    lines = [
        {"key": cell["key"], "name": FACTOR_NAMES.get(cell["key"], cell["key"]),
         "cell": _cell(cell, is_ratio=False)}
        for cell in eng.get("by", {}).get("factor", [])
    ]  # fmt: skip
    return {"total": _cell(eng, is_ratio=False), "lines": lines}


def obligations(report: dict[str, Any]) -> dict[str, Any]:
    """REP-01 and REP-02 of a pilot's own report (`liaison.report`): reporting days met, and
    release requests made and granted (`favourable`, then `partly`)."""
    indicators = {item["id"]: item for item in report["indicators"]}
    lines: list[dict[str, Any]] = []
    if "REP-01" in indicators:
        lines.append({"id": "REP-01", "name": NAMES["REP-01"],
                      "cell": _cell(indicators["REP-01"], is_ratio=True)})  # fmt: skip
    releases = indicators.get("REP-02")
    if releases is not None:
        lines.append({"id": "REP-02", "name": NAMES["REP-02"],
                      "cell": _cell(releases, is_ratio=False)})  # fmt: skip
        outcomes = {cell["key"]: cell for cell in releases.get("by", {}).get("outcome", [])}
        for key, name in (("favourable", _("Granted")), ("partly", _("Partly granted"))):
            if key in outcomes:
                lines.append({"id": "", "name": name, "cell": _cell(outcomes[key], is_ratio=True)})
    return {"lines": lines}


def _bars(items: list[tuple[str, Cell]], *, percent: bool, styled: bool) -> list[dict[str, Any]]:
    """Bars with their label and value printed; `styled` gives each category its own fill
    pattern (for categories side by side; a series over time or places keeps one fill)."""
    top = 100 if percent else max((c.value for _l, c in items if c.value is not None), default=0)
    bars = []
    for index, (label, cell) in enumerate(items):
        width = round(CHART_WIDTH * cell.value / top) if cell.value and top else 0
        bars.append(
            {
                "label": label,
                "text": cell.text,
                "width": width,
                "label_y": index * BAR_ROW + 14,
                "y": index * BAR_ROW + 19,
                "text_y": index * BAR_ROW + 34,
                "style": index % 3 if styled else 0,
            }
        )
    return bars


def engagement_chart(report: dict[str, Any]) -> dict[str, Any]:
    """ENG-01..03 of the whole scope: they add up to the cohort."""
    indicators = {item["id"]: item for item in report["indicators"]}
    items = [
        (str(ENGAGEMENT_LABELS[code]), _cell(indicators[code], is_ratio=True))
        for code in ENGAGEMENT
    ]
    title = _("Engagement outcomes, share of the cohort (%)")
    return _chart(title, items, percent=True, styled=True)


def by_key_chart(table: dict[str, Any], code: str, title: str | Promise) -> dict[str, Any]:
    """One key indicator for each line of a table (pilot, country or city)."""
    position = next(i for i, column in enumerate(table["columns"]) if column["id"] == code)
    ratio = table["columns"][position]["ratio"]
    items = [(line["label"], line["cells"][position]) for line in table["lines"]]
    return _chart(title, items, percent=ratio)


def _chart(
    title: str | Promise, items: list[tuple[str, Cell]], *, percent: bool, styled: bool = False
) -> dict[str, Any]:
    bars = _bars(items, percent=percent, styled=styled)
    return {"title": title, "bars": bars, "height": max(len(bars), 1) * BAR_ROW, "percent": percent}


def trend(
    rows: "Sequence[dict[str, str]] | services.Counted",
    *,
    end: str,
    level: str,
    period: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Active caseload and new clients in each of the last quarters, from the same rows.

    `period`: the dashboard's own report. When its period is made of the last quarters, their
    new clients add up to its BEN-02 (a table with a shown total): they go through the same
    secondary suppression, so a quarter shown as "<5" is not the total minus the others.
    The rows are counted and keyed once for all the quarters (`services.prepare`), and each
    quarter computes these two figures only (`services.active_and_new`)."""
    if not isinstance(rows, services.Counted):
        rows = services.prepare(rows, level)
    points: list[dict[str, Any]] = []
    new_clients: list[int | str | None] = []
    for step in range(TREND_POINTS - 1, -1, -1):
        quarter_end = _shift(end, -3 * step)
        quarter_start = _shift(quarter_end, -2)
        indicators = services.active_and_new(
            rows, start=quarter_start, end=quarter_end, level=level
        )
        new_clients.append(indicators["BEN-02"]["numerator"])
        points.append(
            {
                "label": f"{quarter_start} - {quarter_end}",
                "start": quarter_start,
                "active": _cell(indicators["BEN-01"], is_ratio=False),
            }
        )
    covered = _quarters_of(period, points)
    if covered and period is not None:
        total = next(i for i in period["indicators"] if i["id"] == "BEN-02")["numerator"]
        new_clients[-covered:] = disclosure.protect_parts(total, new_clients[-covered:], level)
    for point, count in zip(points, new_clients, strict=True):
        point["new"] = _cell({"numerator": count}, is_ratio=False)
    active = _chart(
        _("Active caseload at the end of each quarter"),
        [(p["label"], p["active"]) for p in points],
        percent=False,
    )
    new = _chart(
        _("New clients in each quarter"), [(p["label"], p["new"]) for p in points], percent=False
    )
    return {"points": points, "active": active, "new": new}


def _quarters_of(period: dict[str, Any] | None, points: list[dict[str, Any]]) -> int:
    """How many of the last quarters make up the period of `period` exactly (0: none)."""
    if period is None or period["period"]["end"] != points[-1]["label"][-7:]:
        return 0
    starts = [point["start"] for point in points]
    if period["period"]["start"] not in starts:
        return 0
    return len(starts) - starts.index(period["period"]["start"])


def _shift(month: str, by: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def freshness(expected: str, read: list[sources.PilotSource] | None = None) -> list[dict[str, Any]]:
    """For each pilot known to the hub: its last submission's period end and import time,
    whether it has submitted for the `expected` period end yet, and where the dashboard read
    its figures (`read`, the `sources.PilotSource` of each pilot: `source` is None for a pilot
    with no figures)."""
    read_from = {entry.pilot: entry for entry in read or []}
    latest = {
        entry["pilot"]: entry
        for entry in Submission.objects.values("pilot")
        .annotate(period_end=Max("period_end"), imported_at=Max("imported_at"))
        .order_by()
    }
    codes = set(Organisation.objects.values_list("code", flat=True)) | set(latest)
    codes |= set(read_from)
    result = []
    for code in sorted(codes):
        entry = latest.get(code)
        result.append(
            {
                "pilot": code,
                "country": code.split("-")[0],
                "period_end": entry["period_end"] if entry else None,
                "imported_at": entry["imported_at"] if entry else None,
                "current": bool(entry and entry["period_end"] >= expected),
                "source": read_from.get(code),
                "live": code in read_from and read_from[code].source == sources.LIVE,
            }
        )
    return result


def network(
    *,
    start: str,
    end: str,
    level: str,
    by: User,
    request: HttpRequest | None = None,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The network coordinator's dashboard: each pilot from its own source (`mel.sources`:
    its live cases here, or its imported submission), named with its date in `sources`."""
    chosen = sources.choose(None, end=end, source=sources.AUTO, overrides=overrides)
    pilots = [entry.pilot for entry in chosen]
    rows: Sequence[dict[str, str]] = []
    if pilots:
        rows = sources.rows(chosen, end=end, by=by, request=request,
                            channel="network dashboard")  # fmt: skip
    kinds = {entry.source for entry in chosen}
    said = kinds.pop() if len(kinds) == 1 else "per-pilot (" + sources.summary(chosen) + ")"
    counted = services.prepare(rows, level)  # for the period's report and the quarters'
    report = _report(
        counted, start=start, end=end, pilots=pilots, source=said, level=level, by=by,
        request=request, channel="network dashboard",
    )  # fmt: skip
    per_pilot = indicator_table(report, "pilot")
    return {
        "report": report,
        "sources": chosen,
        "per_pilot": per_pilot,
        "per_country": indicator_table(report, "country"),
        "engagement_chart": engagement_chart(report),
        "caseload_chart": by_key_chart(per_pilot, "BEN-01", _("Active caseload per pilot")),
        "engaged_chart": by_key_chart(per_pilot, "ENG-01", _("Remained engaged, per pilot (%)")),
        "programme": programme(report),
        "growth": growth(report),
        "caseload": caseload(report),
        "factors": factors(report),
        "trend": trend(counted, end=end, level=level, period=report),
    }


def pilot(
    *,
    organisation: Organisation,
    start: str,
    end: str,
    by: User,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """A pilot's own dashboard for its supervisors and admins: live cases, network level."""
    pilots = [organisation.code]
    rows = services.rows_for(pilots, source="live", end=end)
    counted = services.prepare(rows, "network")  # for the period's report and the quarters'
    report = _report(
        counted, start=start, end=end, pilots=pilots, source="live", level="network", by=by,
        request=request, channel="pilot dashboard",
    )  # fmt: skip
    # The pilot's own figures of other apps (liaison: reporting days, release requests), as its
    # own report adds them; kept apart, so `report` stays the report of the rows.
    own = parts.extend({"indicators": [], "disclosure": "network"}, start=start, end=end,
                       pilots=pilots, network=False)  # fmt: skip
    per_city = indicator_table(report, "city")
    return {
        "report": report,
        "per_city": per_city,
        "engagement_chart": engagement_chart(report),
        "caseload_chart": by_key_chart(per_city, "BEN-01", _("Active caseload per city")),
        "programme": programme(report),
        "growth": growth(report),
        "caseload": caseload(report),
        "factors": factors(report),
        "obligations": obligations(own),
        "trend": trend(counted, end=end, level="network", period=report),
    }


def _report(
    rows: "list[dict[str, str]] | services.Counted",
    *,
    start: str,
    end: str,
    pilots: list[str],
    source: str,
    level: str,
    by: User,
    request: HttpRequest | None,
    channel: str,
) -> dict[str, Any]:
    """The report of these rows, after the same access check and audit as any report."""
    services.check_report_access(by, pilots=pilots, source=source, level=level)
    report = services.report(
        rows,
        start=start,
        end=end,
        pilots=pilots,
        level=level,
        baseline=baseline_before(start, end),
    )
    if level == "exact":
        services.record_exact(by, start=start, end=end, source=source, pilots=pilots,
                              channel=channel, request=request)  # fmt: skip
    return report
