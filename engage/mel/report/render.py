"""The report rendered as HTML, PDF and XLSX: the same numbers as the JSON, nothing recomputed."""

import io
import json

from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from engage.lib.spreadsheets import as_text_cells
from engage.mel.report import parts
from engage.mel.report.indicators import NOT_PERCENTAGES

NAMES = {
    "BEN-01": _("Active caseload"),
    "BEN-02": _("New clients"),
    "BEN-03": _("Clients ever supported"),
    "BEN-04": _("People supported across the network"),
    "BEN-05": _("Referred from detention"),
    "BEN-06": _("Clients without an identified vulnerability"),
    "ENG-01": _("Remained engaged"),
    "ENG-02": _("Disengaged or absconded"),
    "ENG-03": _("Forcibly removed"),
    "RES-01": _("Case resolution"),
    "RES-02": _("Resolution by outcome type"),
    "CAP-01": _("Improved informed decision making"),
    "CAP-02": _("Improved ability to engage with procedures"),
    "CAP-03": _("Improved coping and well-being"),
    "CAP-04": _("Assessment coverage"),
    "CON-01": _("Face-to-face share of contacts"),
    "GRO-01": _("Growth in new clients"),
    "GRO-02": _("Growth in clients supported"),
    "TIM-01": _("Time in programme (median months)"),
    "CON-02": _("Contacts per client per month"),
    "CAS-01": _("Active clients per case manager (median)"),
    "ENG-04": _("Disengaged clients, by factor recorded"),
}


def as_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def shown(value) -> str:
    """A number as the report shows it: withheld, masked, or exact."""
    if value is None:
        return "withheld"
    return str(value)


OUTCOME_NAMES = {
    "protection": _("Protection"),
    "regularisation": _("Regularisation"),
    "third_country": _("Third country"),
    "voluntary_return": _("Voluntary return"),
    "temporary_status": _("Temporary status"),
    "other": _("Other"),
}
GROWTH_TARGET = (10, 20)  # the network's target: +10% to +20% new clients over two years

# Charts: sizes in SVG user units, computed here so that the templates only place them.
BAR_X, BAR_SCALE, BAR_HEIGHT, BAR_STEP = 270, 280, 18, 26


def _text(cell: dict | None, *, percent: bool = True) -> str:
    """A chart's printed value: the percentage with its counts, a range, or withheld."""
    if cell is None:
        return str(_("not available"))
    value = cell.get("value")
    if value is None:
        return str(_("withheld")) if cell.get("withheld") else "—"  # "—": no denominator
    if not percent:
        return str(value)
    n, d = cell.get("numerator"), cell.get("denominator")
    counts = f" ({shown(n)}/{shown(d)})" if n is not None and d is not None else ""
    return f"{formats.number_format(value)}%{counts}"  # the language's decimal sign


def _bars(title, items: list[tuple[str, dict | None]]) -> dict:
    bars = []
    for position, (label, cell) in enumerate(items):
        value = cell.get("value") if cell else None
        drawn = isinstance(value, int | float) and not isinstance(value, bool)
        width = round(max(0.0, min(float(value), 100.0)) * BAR_SCALE / 100, 1) if drawn else 0
        y = 6 + position * BAR_STEP
        bars.append(
            {
                "label": label,
                "text": _text(cell),
                "drawn": drawn,
                "width": width,
                "y": y,
                "text_y": y + 13,
                "text_x": BAR_X + width + 6,
            }
        )
    return {"title": title, "bars": bars, "height": 12 + len(bars) * BAR_STEP, "x": BAR_X}


def _caseload(report: dict) -> dict:
    points = (report.get("series") or {}).get("BEN-01", [])
    numbers = [p["value"] for p in points if isinstance(p["value"], int)]
    top = max(numbers, default=0) or 1
    width = 560 / max(len(points), 1)
    columns = []
    for position, p in enumerate(points):
        drawn = isinstance(p["value"], int)
        height = round(p["value"] * 140 / top, 1) if drawn else 0
        x = 40 + position * width
        columns.append(
            {
                "month": p["month"],
                "text": shown(p["value"]) if p["value"] is not None else str(_("withheld")),
                "drawn": drawn,
                "x": round(x + width * 0.15, 1),
                "width": round(width * 0.7, 1),
                "y": round(170 - height, 1),
                "height": height,
                "text_x": round(x + width / 2, 1),
                "text_y": round(165 - height, 1),
            }
        )
    return {
        "title": _("Active caseload at the end of each month (BEN-01)"),
        "columns": columns,
        "small": len(columns) > 12,
    }


def _growth(report: dict, indicator: str = "GRO-01", title=None, name=None) -> dict:
    cell = next((i for i in report["indicators"] if i["id"] == indicator), None)
    value = cell.get("value") if cell else None
    drawn = isinstance(value, int | float)
    low = min(-10.0, float(value) - 5) if drawn else -10.0
    high = max(40.0, float(value) + 5) if drawn else 40.0

    def x(v: float) -> float:
        return round(40 + (v - low) / (high - low) * 480, 1)

    baseline = report.get("baseline") or {}
    return {
        "title": title or _("Growth in new clients against the target of +10% to +20% (GRO-01)"),
        "name": name or NAMES["GRO-01"],
        "text": _text(cell, percent=False) + ("%" if drawn else ""),
        "drawn": drawn,
        "zero_x": x(0),
        "band_x": x(GROWTH_TARGET[0]),
        "band_width": round(x(GROWTH_TARGET[1]) - x(GROWTH_TARGET[0]), 1),
        "bar_x": min(x(0), x(float(value))) if drawn else 0,
        "bar_width": abs(x(float(value)) - x(0)) if drawn else 0,
        "value_x": round((x(float(value)) if drawn else x(0)) + 6, 1),
        "ticks": [
            {"x": x(t), "label": f"{t:+d}%"}
            for t in range(int(low // 10 + 1) * 10, int(high) + 1, 10)
        ],
        "baseline": baseline,
        "cell": cell,
        "in_target": drawn and GROWTH_TARGET[0] <= value <= GROWTH_TARGET[1],
        "above_target": drawn and value > GROWTH_TARGET[1],
    }


def charts(report: dict) -> dict:
    """What the report's charts draw, from the report's own (disclosure-controlled) numbers.

    Withheld values are never drawn: their bar is absent and the word "withheld" is printed.
    Each chart is an include under templates/mel/charts/ taking `chart`."""
    by_id = {i["id"]: i for i in report["indicators"]}

    def named(ids):
        return [(f"{i} {NAMES.get(i, i)}", by_id.get(i)) for i in ids]

    outcomes = by_id.get("RES-02", {}).get("by", {}).get("outcome", [])
    return {
        "engagement": _bars(
            _("Engagement outcomes, as a share of the cohort"), named(("ENG-01", "ENG-02", "ENG-03"))
        ),
        "outcomes": _bars(
            _("Resolution by outcome type, as a share of clients with an outcome"),
            [(str(OUTCOME_NAMES.get(c["key"], c["key"])), c) for c in outcomes],
        ),
        "ratings": _bars(
            _("Improvement between the first and the latest assessment"),
            named(("CAP-01", "CAP-02", "CAP-03")),
        ),
        "caseload": _caseload(report),
        "growth": _growth(report),
        "growth_supported": _growth(
            report,
            "GRO-02",
            _("Growth in clients supported against the target of +10% to +20% (GRO-02)"),
            NAMES["GRO-02"],
        ),
    }


def unit_of(indicator: dict) -> str:
    """What follows an indicator's value: "%" for a share, nothing for a count, a median of
    months (TIM-01) or a rate (CON-02)."""
    if "denominator" in indicator and indicator["id"] not in NOT_PERCENTAGES:
        return "%"
    return ""


def name_of(indicator_id: str) -> str:
    return NAMES.get(indicator_id) or parts.name_of(indicator_id) or indicator_id


def _context(report: dict) -> dict:
    """The indicators of the cases, and each registered part's own (shown with or without case
    data: a period with no client may still have network activities)."""
    named = [
        {**indicator, "name": name_of(indicator["id"]), "unit": unit_of(indicator)}
        for indicator in report["indicators"]
    ]
    sections = [
        {
            "template": part.template,
            "indicators": [i for i in named if parts.part_of(i["id"]) is part],
            "data": report.get(part.key),
        }
        for part in parts.registered()
    ]
    indicators = [i for i in named if parts.part_of(i["id"]) is None]
    return {
        "report": report,
        "indicators": indicators,
        "sections": sections,
        "charts": charts(report),
    }


def as_html(report: dict) -> str:
    return render_to_string("mel/report.html", _context(report))


def as_pdf(report: dict) -> bytes:
    from weasyprint import HTML  # imported here: loading its system libraries takes time

    return HTML(string=as_html(report)).write_pdf()


def as_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Indicators"
    period = report["period"]
    sheet.append(["Period", period["start"], period["end"], "Disclosure", report["disclosure"]])
    sheet.append(["Pilots", ", ".join(report["scope"]["pilots"])])
    for entry in report.get("sources", []):  # where each pilot's figures were read
        sheet.append(["Source", entry["pilot"], entry["source"], entry["period_end"]])
    sheet.append([])
    sheet.append(["id", "indicator", "numerator", "denominator", "value", "withheld"])
    for indicator in report["indicators"]:
        sheet.append(_line(indicator, str(name_of(indicator["id"]))))
    breakdowns = book.create_sheet("Breakdowns")
    breakdowns.append(["id", "by", "key", "numerator", "denominator", "value", "withheld"])
    for indicator in report["indicators"]:
        for dimension, cells in indicator.get("by", {}).items():
            for cell in cells:
                breakdowns.append([indicator["id"], dimension, *_line(cell, cell["key"])[1:]])
    coverage = book.create_sheet("Coverage")  # the methods box's figures and the series
    coverage.append(["figure", "month", "value"])
    for name in ("rows", "cohort", "with_two_assessments"):
        coverage.append([name, report["period"]["end"], report["coverage"][name]])
    for point in (report.get("series") or {}).get("BEN-01", []):
        coverage.append(["BEN-01", point["month"], point["value"]])
    for part in parts.registered():
        if part.xlsx is not None:
            part.xlsx(book, report)
    as_text_cells(book)  # a city named "=HYPERLINK(…)" stays text (docs/security.md, 9)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _line(cell: dict, label: str) -> list:
    return [
        cell.get("id", ""),
        label,
        cell.get("numerator"),
        cell.get("denominator"),
        cell.get("value"),
        "yes" if cell.get("withheld") else "",
    ]


def indicator_rows(report: dict) -> list[dict]:
    """The report's indicators with their names, for the tables of a page."""
    return [
        {**indicator, "name": name_of(indicator["id"])} for indicator in report["indicators"]
    ]


# The comparison of an evaluation cycle's snapshots (cycles.comparison).


def comparison_context(comparison: dict) -> dict:
    """The comparison with each figure as printed: percentages with their counts."""
    rows = [
        {
            **row,
            "texts": [
                _text(cell, percent=row["kind"] == "percentage") if cell else "—"
                for cell in row["cells"]
            ],
        }
        for row in comparison["indicators"]
    ]
    return {**comparison, "indicators": rows}


def comparison_html(comparison: dict) -> str:
    return render_to_string(
        "mel/cycles/comparison_report.html", {"comparison": comparison_context(comparison)}
    )


def comparison_pdf(comparison: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=comparison_html(comparison)).write_pdf()
