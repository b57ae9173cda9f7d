"""The report rendered as HTML, PDF and XLSX: the same numbers as the JSON, nothing recomputed."""

import datetime
import io
import json
from collections.abc import Iterable
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from engage.lib import pdf
from engage.lib.spreadsheets import as_text_cells
from engage.mel.report import labels, parts
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


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def shown(value: object) -> str:
    """A number as the report shows it: withheld, masked, or exact."""
    if value is None:
        return "withheld"
    return str(value)


OUTCOME_NAMES = labels.VALUES["outcome"]
GROWTH_TARGET = (10, 20)  # the network's target: +10% to +20% new clients over two years

# Charts: sizes in SVG user units, computed here so that the templates only place them.
BAR_X, BAR_SCALE, BAR_HEIGHT, BAR_STEP = 270, 280, 18, 26


def _text(cell: dict[str, Any] | None, *, percent: bool = True) -> str:
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


def _bars(title: str | Promise, items: list[tuple[str, dict[str, Any] | None]]) -> dict[str, Any]:
    bars = []
    for position, (label, cell) in enumerate(items):
        value: Any = cell.get("value") if cell else None
        drawn = isinstance(value, int | float) and not isinstance(value, bool)
        width = round(max(0.0, min(float(value), 100.0)) * BAR_SCALE / 100, 1) if drawn else 0
        y = 6 + position * BAR_STEP
        bars.append(
            {
                "label": label,
                "text": _text(cell),
                "drawn": drawn,
                "value": value if drawn else None,
                "width": width,
                "y": y,
                "text_y": y + 13,
                "text_x": BAR_X + width + 6,
            }
        )
    return {"title": title, "bars": bars, "height": 12 + len(bars) * BAR_STEP, "x": BAR_X}


def _caseload(report: dict[str, Any]) -> dict[str, Any]:
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
                "value": p["value"] if drawn else None,
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


def _growth(
    report: dict[str, Any],
    indicator: str = "GRO-01",
    title: str | Promise | None = None,
    name: str | Promise | None = None,
) -> dict[str, Any]:
    cell = next((i for i in report["indicators"] if i["id"] == indicator), None)
    value: Any = cell.get("value") if cell else None
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


CAPTIONS = {
    "engagement": _(
        "Each client of the cohort counts in exactly one of the three outcomes, as their case "
        "stood at the end of the period."
    ),
    "outcomes": _("The migration outcomes reached, whether or not the case is closed yet."),
    "caseload": _("Clients whose case was open at the end of each month."),
    "ratings": _(
        "Among the clients assessed at least twice: the share rated higher at their latest "
        "assessment than at their first."
    ),
    "growth": _("The dashed band is the network's target."),
    "growth_supported": _("The dashed band is the network's target."),
}


def charts(report: dict[str, Any]) -> dict[str, Any]:
    """What the report's charts draw, from the report's own (disclosure-controlled) numbers.

    Withheld values are never drawn: their bar is absent and the word "withheld" is printed.
    Each chart is an include under templates/mel/charts/ taking `chart`; `number` and `caption`
    make its figure caption (in the order of mel/charts/all.html)."""
    by_id = {i["id"]: i for i in report["indicators"]}

    def named(ids: Iterable[str]) -> list[tuple[str, dict[str, Any] | None]]:
        return [(f"{i} {NAMES.get(i, i)}", by_id.get(i)) for i in ids]

    outcomes = by_id.get("RES-02", {}).get("by", {}).get("outcome", [])
    drawn = {
        "engagement": _bars(
            _("Engagement outcomes, as a share of the cohort"),
            named(("ENG-01", "ENG-02", "ENG-03")),
        ),
        "outcomes": _bars(
            _("Resolution by outcome type, as a share of clients with an outcome"),
            [(labels.key("outcome", c["key"]), c) for c in outcomes],
        ),
        "caseload": _caseload(report),
        "ratings": _bars(
            _("Improvement between the first and the latest assessment"),
            named(("CAP-01", "CAP-02", "CAP-03")),
        ),
        "growth": _growth(report),
        "growth_supported": _growth(
            report,
            "GRO-02",
            _("Growth in clients supported against the target of +10% to +20% (GRO-02)"),
            NAMES["GRO-02"],
        ),
    }
    for number, (name, chart) in enumerate(drawn.items(), start=1):
        chart["number"] = number
        chart["caption"] = CAPTIONS[name]
    return drawn


def unit_of(indicator: dict[str, Any]) -> str:
    """What follows an indicator's value: "%" for a share, nothing for a count, a median of
    months (TIM-01) or a rate (CON-02)."""
    if "denominator" in indicator and indicator["id"] not in NOT_PERCENTAGES:
        return "%"
    return ""


def name_of(indicator_id: str) -> str | Promise:
    return NAMES.get(indicator_id) or parts.name_of(indicator_id) or indicator_id


LEVEL_NAMES = {
    "exact": _("Exact (network coordinator only, logged)"),
    "network": _("Network: counts 1 to 4 shown as <5"),
    "public": _("Public: counts 1 to 9 shown as <10"),
}
WITHHELD_SHARE = _("a share withheld to protect small numbers")
WITHHELD_NUMBER = _("a withheld number of")
HEADLINE = (
    "BEN-03", "BEN-01", "BEN-02", "ENG-01", "ENG-02", "ENG-03", "RES-01", "CAP-01", "CAP-02",
    "CAP-03", "GRO-01", "TIM-01",
)  # fmt: skip


def month_name(month: str) -> str:
    """A month as the reader's language writes it: "June 2024", "juin 2024"."""
    year, number = month.split("-")
    return formats.date_format(datetime.date(int(year), int(number), 1), "YEAR_MONTH_FORMAT")


def _period(start: str, end: str) -> str:
    return str(_("%(start)s to %(end)s") % {"start": month_name(start), "end": month_name(end)})


def _share(cell: dict[str, Any] | None) -> str | None:
    """A percentage as a sentence says it ("63.3%"); None when it is not shown."""
    value = (cell or {}).get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return f"{formats.number_format(value)}%"


def _count(cell: dict[str, Any] | None, name: str = "numerator") -> str | None:
    """A count as shown ("142", or "<5" for a small one); None when it is withheld."""
    value = (cell or {}).get(name)
    return None if value is None else str(value)


def _sentence(text: object) -> str:
    words = str(text)
    return words[:1].upper() + words[1:]


def summary(report: dict[str, Any]) -> list[str]:
    """The headline figures in the network's words, shaped like its published evaluations ("of
    126 individuals, 86% remained engaged..."), every figure the report's own as shown: a
    withheld one is said to be withheld, never guessed."""
    if not report.get("has_data"):
        return []
    by_id = {i["id"]: i for i in report["indicators"]}
    end = month_name(report["period"]["end"])
    withheld = str(WITHHELD_SHARE)

    def share(indicator_id: str) -> str:
        return _share(by_id.get(indicator_id)) or withheld

    said: list[str | Promise] = []
    shares = {
        "engaged": share("ENG-01"),
        "disengaged": share("ENG-02"),
        "removed": share("ENG-03"),
        "end": end,
    }
    people = _count(by_id.get("BEN-03"))
    if people is None:
        said.append(
            _(
                "Of the people supported up to %(end)s (their number is withheld to protect "
                "small numbers), %(engaged)s remained engaged with their migration case, "
                "%(disengaged)s disengaged or absconded and %(removed)s were forcibly removed."
            )
            % shares
        )
    else:
        said.append(
            _(
                "Of %(people)s people supported up to %(end)s, %(engaged)s remained engaged "
                "with their migration case, %(disengaged)s disengaged or absconded and "
                "%(removed)s were forcibly removed."
            )
            % {**shares, "people": people}
        )
    said.append(
        _sentence(_("%(resolved)s achieved case resolution.") % {"resolved": share("RES-01")})
    )
    ratings = [by_id.get(i) for i in ("CAP-01", "CAP-02", "CAP-03")]
    if all(cell and cell.get("denominator") == 0 for cell in ratings):
        said.append(_("No client had been assessed twice yet: there is no measure of improvement."))
    else:
        said.append(
            _(
                "Of the clients assessed at least twice, %(idm)s improved their ability to "
                "participate in informed decision making, %(engage)s their ability to engage "
                "with immigration procedures and %(wellbeing)s their coping and well-being."
            )
            % {"idm": share("CAP-01"), "engage": share("CAP-02"), "wellbeing": share("CAP-03")}
        )
    counts = {
        "new": _count(by_id.get("BEN-02")) or str(WITHHELD_NUMBER),
        "active": _count(by_id.get("BEN-01")) or str(WITHHELD_NUMBER),
    }
    said.append(
        _sentence(
            _(
                "%(new)s new clients were included during the period, and %(active)s cases "
                "were open at its end."
            )
            % counts
        )
    )
    said.append(
        _sentence(
            _(
                "%(detention)s of the cohort were in detention, or recently released from it, "
                "when referred."
            )
            % {"detention": share("BEN-05")}
        )
    )
    growth = by_id.get("GRO-01") or {}
    baseline = report.get("baseline")
    if baseline and (growth.get("value") is not None or growth.get("withheld")):
        period = _period(baseline["start"], baseline["end"])
        if growth.get("value") is None:
            said.append(
                _(
                    "The growth in new clients against %(baseline)s is withheld to protect "
                    "small numbers."
                )
                % {"baseline": period}
            )
        else:
            value = growth["value"]
            said.append(
                _(
                    "Against %(baseline)s, the number of new clients changed by %(growth)s; "
                    "the network's target is +10%% to +20%%."
                )
                % {
                    "baseline": period,
                    "growth": ("+" if value > 0 else "") + f"{formats.number_format(value)}%",
                }
            )
    median = (by_id.get("TIM-01") or {}).get("value")
    if isinstance(median, int | float):
        said.append(
            _("Clients had been in the programme for a median of %(months)s months.")
            % {"months": formats.number_format(median)}
        )
    return [str(sentence) for sentence in said]


def headline(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's table: the key figures as printed."""
    by_id = {i["id"]: i for i in report["indicators"]}
    lines = []
    for indicator_id in HEADLINE:
        cell = by_id.get(indicator_id)
        if cell is None:
            continue
        if indicator_id in ("GRO-01", "GRO-02") and cell.get("value") is not None:
            text = f"{formats.number_format(cell['value'])}%"  # a change, not a share of counts
        elif isinstance(cell.get("value"), float) and unit_of(cell) != "%":
            text = formats.number_format(cell["value"])  # a median of months: 11,5 in French
        else:
            text = _text(cell, percent=unit_of(cell) == "%")
        lines.append({"id": indicator_id, "name": name_of(indicator_id), "text": text})
    return lines


def _tables(indicator: dict[str, Any], part: parts.ReportPart | None) -> list[dict[str, Any]]:
    """An indicator's breakdowns with their words: what each is by, and each key's name."""
    dimension_label = part.dimension_label if part and part.dimension_label else labels.dimension
    key_label = part.key_label if part and part.key_label else labels.key
    return [
        {
            "dimension": dimension,
            "label": dimension_label(dimension),
            "cells": [{**cell, "label": key_label(dimension, cell["key"])} for cell in cells],
        }
        for dimension, cells in indicator.get("by", {}).items()
        if cells
    ]


def _evaluation(report: dict[str, Any]) -> dict[str, Any] | None:
    written = report.get("evaluation")
    if not written:
        return None
    return {
        **written,
        "point_label": labels.evaluation_point(written["point"]),
        "areas": [
            {
                "label": labels.narrative_area(area["area"]),
                "fields": [
                    {"label": labels.NARRATIVE_FIELDS.get(f["name"], f["name"]), "text": f["text"]}
                    for f in area["fields"]
                ],
            }
            for area in written["areas"]
        ],
    }


def _contents(
    report: dict[str, Any], evaluation: dict[str, Any] | None, sections: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The table of contents: each section's anchor and title (the PDF adds page numbers)."""
    entries = [("summary", _("Summary"))]
    if evaluation:
        entries.append(("evaluation", _("The evaluators' narrative")))
    if report.get("has_data"):
        entries += [
            ("charts", _("Charts")),
            ("indicators-section", _("Indicators")),
            ("breakdowns", _("Breakdowns")),
        ]
    for section in sections:
        entries += section["contents"]
    if report.get("has_data"):  # without figures, no indicator to define
        entries.append(("definitions", _("Appendix A: definitions")))
    entries.append(("methods", _("Appendix B: methods")))
    return [{"id": anchor, "title": title} for anchor, title in entries]


def _context(report: dict[str, Any], *, document: bool = False) -> dict[str, Any]:
    """The indicators of the cases, and each registered part's own (shown with or without case
    data: a period with no client may still have network activities)."""
    named = []
    for indicator in report["indicators"]:
        part = parts.part_of(indicator["id"])
        named.append(
            {
                **indicator,
                "name": name_of(indicator["id"]),
                "unit": unit_of(indicator),
                "tables": _tables(indicator, part),
                "definition": labels.definition(indicator["id"]),
            }
        )
    sections = [
        {
            "template": part.template,
            "indicators": [i for i in named if parts.part_of(i["id"]) is part],
            "data": report.get(part.key),
            "contents": part.contents(report.get(part.key)) if part.contents else [],
        }
        for part in parts.registered()
    ]
    indicators = [i for i in named if parts.part_of(i["id"]) is None]
    evaluation = _evaluation(report)
    period = report["period"]
    return {
        "report": report,
        "document": document,
        "indicators": indicators,
        "sections": sections,
        "charts": charts(report),
        "cover": {
            "period": _period(period["start"], period["end"]),
            "pilots": [
                f"{code} ({labels.key('country', code.split('-')[0])})"
                for code in report["scope"]["pilots"]
            ],
            "level": LEVEL_NAMES.get(report["disclosure"], report["disclosure"]),
            "made": formats.date_format(timezone.localdate(), "DATE_FORMAT"),
        },
        "summary": summary(report),
        "headline": headline(report),
        "evaluation": evaluation,
        "contents": _contents(report, evaluation, sections),
        "language": get_language() or "en",
    }


def report_body(report: dict[str, Any]) -> str:
    """The report as an HTML fragment (no <html>, no print styles), to show inside a page of
    the application: the same sections, figures and words as the document."""
    return render_to_string("mel/report/body.html", _context(report))


def as_html(report: dict[str, Any]) -> str:
    """The report as a document of its own: a cover, contents, summary, narrative, charts,
    tables and the appendix, styled for print (the PDF is this document)."""
    return render_to_string("mel/report.html", _context(report, document=True))


# The PDF is tagged (its headings, tables, lists and figures marked for screen readers) and
# claims PDF/UA-1, in the language of the document (`<html lang>`).
PDF_VARIANT = "pdf/ua-1"


def as_pdf(report: dict[str, Any]) -> bytes:
    return pdf.from_html(as_html(report), variant=PDF_VARIANT)


def as_xlsx(report: dict[str, Any]) -> bytes:
    """The report as a workbook in the reader's language: each indicator and each breakdown
    with its code (for whoever works on the figures) and in words (as the document says them,
    `labels`), the figures of the methods box, the charts, and each part's own sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("Indicators"))
    period = report["period"]
    sheet.append(
        [str(_("Period")), period["start"], period["end"], _period(period["start"], period["end"])]
    )
    sheet.append([str(_("Disclosure level")), str(LEVEL_NAMES.get(report["disclosure"], ""))])
    sheet.append([str(_("Pilots")), ", ".join(report["scope"]["pilots"])])
    for entry in report.get("sources", []):  # where each pilot's figures were read
        sheet.append([str(_("Source")), entry["pilot"], _source(entry)])
    sheet.append([])
    sheet.append([str(_("Code")), *_figure_header(str(_("Indicator")))])
    for indicator in report["indicators"]:
        sheet.append(_line(indicator, str(name_of(indicator["id"]))))
    breakdowns = book.create_sheet(str(_("Breakdowns")))
    breakdowns.append([str(_("Code")), str(_("Breakdown")), *_figure_header(str(_("Group")))])
    for indicator in report["indicators"]:
        for dimension, cells in indicator.get("by", {}).items():
            for cell in cells:
                label = labels.key(dimension, cell["key"])
                breakdowns.append(
                    [indicator["id"], labels.dimension(dimension), *_line(cell, label)[1:]]
                )
    coverage = book.create_sheet(str(_("Coverage")))  # the methods box's figures, the series
    coverage.append([str(_("Figure")), str(_("Month")), str(_("Number"))])
    for name, figure in COVERAGE_NAMES.items():
        coverage.append([str(figure), period["end"], report["coverage"][name]])
    for point in (report.get("series") or {}).get("BEN-01", []):
        coverage.append([str(NAMES["BEN-01"]), point["month"], point["value"]])
    _chart_sheet(book, report)
    for part in parts.registered():
        if part.xlsx is not None:
            part.xlsx(book, report)
    for each in book.worksheets:
        each.column_dimensions["A"].width = max(each.column_dimensions["A"].width or 0, 14)
        each.column_dimensions["B"].width = max(each.column_dimensions["B"].width or 0, 40)
    as_text_cells(book)  # a city named "=HYPERLINK(…)" stays text (docs/security.md, 9)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


COVERAGE_NAMES = {
    "rows": _("Enrollments"),
    "cohort": _("Clients in the cohort"),
    "with_two_assessments": _("Clients with at least two assessments"),
}


def _figure_header(label: str) -> list[str]:
    return [label, str(_("Number")), str(_("Out of")), str(_("Value")), str(_("withheld"))]


def _source(entry: dict[str, Any]) -> str:
    """Where a pilot's figures were read, in the words of the document's cover."""
    if entry["source"] == "live":
        text = _("%(pilot)s: live cases of this instance, as of %(period)s")
    elif entry.get("period_end"):
        text = _("%(pilot)s: imported submission up to %(period)s")
    else:
        text = _("%(pilot)s: no figures")
    return str(text) % {"pilot": entry["pilot"], "period": entry.get("period_end") or ""}


def _chart_sheet(book: Any, report: dict[str, Any]) -> None:
    """The report's charts, drawn by the spreadsheet from the figures beside them: the same
    (disclosure-controlled) values as the document's charts; a withheld one is an empty cell,
    so it is not drawn."""
    from openpyxl.chart import BarChart, LineChart, Reference

    sheet = book.create_sheet(str(_("Charts")))
    drawn = charts(report)
    row = 1
    for name in ("engagement", "outcomes", "ratings"):
        chart = drawn[name]
        sheet.cell(row, 1, str(chart["title"]))
        sheet.cell(row + 1, 1, str(_("Group")))
        sheet.cell(row + 1, 2, str(_("Share (%)")))
        for offset, bar in enumerate(chart["bars"], start=row + 2):
            sheet.cell(offset, 1, str(bar["label"]))
            sheet.cell(offset, 2, bar["value"])  # empty when withheld: not drawn
        last = row + 1 + len(chart["bars"])
        if chart["bars"]:
            bars = BarChart()
            bars.type = "bar"
            bars.title = str(chart["title"])
            bars.y_axis.title = "%"
            bars.legend = None
            data = Reference(sheet, min_col=2, min_row=row + 1, max_row=last)
            bars.add_data(data, titles_from_data=True)
            bars.set_categories(Reference(sheet, min_col=1, min_row=row + 2, max_row=last))
            bars.height, bars.width = 6 + len(chart["bars"]) * 0.4, 18
            sheet.add_chart(bars, f"D{row}")
        row = max(last + 2, row + 16)
    caseload = drawn["caseload"]
    sheet.cell(row, 1, str(caseload["title"]))
    sheet.cell(row + 1, 1, str(_("Month")))
    sheet.cell(row + 1, 2, str(_("Active caseload")))
    for offset, column in enumerate(caseload["columns"], start=row + 2):
        sheet.cell(offset, 1, column["month"])
        sheet.cell(offset, 2, column["value"])
    last = row + 1 + len(caseload["columns"])
    if caseload["columns"]:
        line = LineChart()
        line.title = str(caseload["title"])
        line.legend = None
        data = Reference(sheet, min_col=2, min_row=row + 1, max_row=last)
        line.add_data(data, titles_from_data=True)
        line.set_categories(Reference(sheet, min_col=1, min_row=row + 2, max_row=last))
        line.height, line.width = 8, 18
        sheet.add_chart(line, f"D{row}")
    sheet.column_dimensions["A"].width = 48


def _line(cell: dict[str, Any], label: str) -> list[object]:
    return [
        cell.get("id", ""),
        label,
        cell.get("numerator"),
        cell.get("denominator"),
        cell.get("value"),
        str(_("withheld")) if cell.get("withheld") else "",
    ]


def indicator_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's indicators with their names, for the tables of a page."""
    return [{**indicator, "name": name_of(indicator["id"])} for indicator in report["indicators"]]


# The comparison of an evaluation cycle's snapshots (cycles.comparison).


def comparison_context(comparison: dict[str, Any]) -> dict[str, Any]:
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


def comparison_html(comparison: dict[str, Any]) -> str:
    return render_to_string(
        "mel/cycles/comparison_report.html", {"comparison": comparison_context(comparison)}
    )


def comparison_pdf(comparison: dict[str, Any]) -> bytes:
    return pdf.from_html(comparison_html(comparison))
