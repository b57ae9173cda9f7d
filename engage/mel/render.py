"""The report rendered as HTML, PDF and XLSX: the same numbers as the JSON, nothing recomputed."""

import io
import json

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

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
}


def as_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def shown(value) -> str:
    """A number as the report shows it: withheld, masked, or exact."""
    if value is None:
        return "withheld"
    return str(value)


def _context(report: dict) -> dict:
    indicators = [
        {**indicator, "name": NAMES.get(indicator["id"], indicator["id"])}
        for indicator in report["indicators"]
    ]
    engagement = [i for i in indicators if i["id"] in ("ENG-01", "ENG-02", "ENG-03")]
    outcomes = next((i for i in indicators if i["id"] == "RES-02"), None)
    return {
        "report": report,
        "indicators": indicators,
        "engagement": engagement,
        "outcome_types": outcomes["by"]["outcome"] if outcomes else [],
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
    sheet.append([])
    sheet.append(["id", "indicator", "numerator", "denominator", "value", "withheld"])
    for indicator in report["indicators"]:
        sheet.append(_line(indicator, str(NAMES.get(indicator["id"], ""))))
    breakdowns = book.create_sheet("Breakdowns")
    breakdowns.append(["id", "by", "key", "numerator", "denominator", "value", "withheld"])
    for indicator in report["indicators"]:
        for dimension, cells in indicator.get("by", {}).items():
            for cell in cells:
                breakdowns.append([indicator["id"], dimension, *_line(cell, cell["key"])[1:]])
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
