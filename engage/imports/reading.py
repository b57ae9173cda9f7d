"""Reading an uploaded spreadsheet (CSV or XLSX) into a header row and data rows.

Cells come back as they are in the file: text, or the numbers and dates of an XLSX sheet, so
that `values.parse_date` can tell an Excel date from a typed one. Nothing is trimmed here.
"""

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import load_workbook

MAX_ROWS = 50_000
MAX_COLUMNS = 100


class UnreadableFile(ValueError):
    """The file is not a spreadsheet we can read; the message says why, for the user."""


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list]  # each row as long as the headers; row i is line i + 2 of the file


def kind_of(filename: str, data: bytes) -> str:
    """'xlsx' or 'csv', from the bytes first (an XLSX file is a zip), then the name."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(_("This file is not a valid XLSX workbook."))
    return "csv"


def read(filename: str, data: bytes) -> Sheet:
    raw = _xlsx(data) if kind_of(filename, data) == "xlsx" else _csv(data)
    raw = [row for row in raw if any(_present(cell) for cell in row)]
    if not raw:
        raise UnreadableFile(_("The file is empty."))
    headers = [str(cell).strip() if cell is not None else "" for cell in raw[0]]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise UnreadableFile(_("The file has more than %(n)s columns.") % {"n": MAX_COLUMNS})
    if len(raw) - 1 > MAX_ROWS:
        raise UnreadableFile(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
    for number, header in enumerate(headers, start=1):
        if not header:
            headers[number - 1] = _("Column %(n)s") % {"n": number}
    if len(set(headers)) != len(headers):
        raise UnreadableFile(_("Two columns have the same header; rename one of them."))
    width = len(headers)
    rows = [(list(row) + [None] * width)[:width] for row in raw[1:]]
    return Sheet(headers=headers, rows=rows)


def _present(cell) -> bool:
    return cell is not None and str(cell).strip() != ""


def _xlsx(data: bytes) -> list[list]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile(_("This file is not a valid XLSX workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv(data: bytes) -> list[list]:
    try:
        text = data.decode("utf-8-sig")  # strips the byte order mark Excel writes
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the ANSI code page; cp1252 decodes every byte.
        text = data.decode("cp1252")
    if "\x00" in text:
        raise UnreadableFile(_("This file is neither CSV nor XLSX."))
    first_line = text.split("\n", 1)[0]
    # The separator is the one the header line uses most: ";" where Excel's locale uses a
    # decimal comma (France, Belgium, much of Europe), "," elsewhere, or a tab.
    delimiter = max((";", ",", "\t"), key=first_line.count)
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
