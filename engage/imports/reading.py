"""Reading an uploaded spreadsheet (CSV or XLSX) into a header row and data rows.

Cells come back as they are in the file: text, or the numbers and dates of an XLSX sheet, so
that `values.parse_date` can tell an Excel date from a typed one. Nothing is trimmed here.

A small file can declare a huge sheet: an XLSX of 1.5 KB whose dimension says a million rows
and 16,384 columns, or whose only row is numbered 1,000,000, made openpyxl pad every row to the
declared width and fill every missing row (750 MB). So nothing the file declares is trusted:
the workbook's parts are checked against a size limit before anything is decompressed, the
sheet is read in streaming mode with its declared dimension ignored and at most
`MAX_COLUMNS + 1` columns per row, and the limits on rows and columns are checked as each row
arrives, so reading stops at the first row over a limit with a clear message.
"""

import csv
import io
import zipfile
from collections.abc import Generator, Iterable
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

MAX_ROWS = 50_000
MAX_COLUMNS = 100
# Empty lines are skipped, but a file cannot make us walk millions of them either.
MAX_LINES = 2 * MAX_ROWS
# What the parts of an XLSX workbook may decompress to, all together: a sheet of MAX_ROWS
# rows of twenty columns is some 40 MB of XML; a zip bomb is refused before it is opened.
MAX_XLSX_UNCOMPRESSED = 100 * 2**20
MAX_XLSX_PART = 32 * 2**20


class UnreadableFile(ValueError):
    """The file is not a spreadsheet we can read; the message says why, for the user."""


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list[Any]]  # each row as long as the headers; row i is line i + 2 of the file


def kind_of(filename: str, data: bytes) -> str:
    """'xlsx' or 'csv', from the bytes first (an XLSX file is a zip), then the name."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(_("This file is not a valid XLSX workbook."))
    return "csv"


def read(filename: str, data: bytes) -> Sheet:
    cells = _xlsx(data) if kind_of(filename, data) == "xlsx" else _csv(data)
    with closing(cells):  # closes the workbook at once when a limit stops the reading
        raw = _limited(cells)
    if not raw:
        raise UnreadableFile(_("The file is empty."))
    headers = [str(cell).strip() if cell is not None else "" for cell in raw[0]]
    while headers and not headers[-1]:
        headers.pop()
    for number, header in enumerate(headers, start=1):
        if not header:
            headers[number - 1] = _("Column %(n)s") % {"n": number}
    if len(set(headers)) != len(headers):
        raise UnreadableFile(_("Two columns have the same header; rename one of them."))
    width = len(headers)
    rows = [(list(row) + [None] * width)[:width] for row in raw[1:]]
    return Sheet(headers=headers, rows=rows)


def _present(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def _limited(rows: Iterable[list[Any]]) -> list[list[Any]]:
    """The non-empty rows, the limits checked as each row arrives (never after reading all)."""
    kept: list[list[Any]] = []
    for lines, row in enumerate(rows, start=1):
        if lines > MAX_LINES:
            raise UnreadableFile(
                _("The file has more than %(n)s lines, counting empty ones.") % {"n": MAX_LINES}
            )
        width = len(row)
        while width and not _present(row[width - 1]):
            width -= 1
        if width > MAX_COLUMNS:
            raise UnreadableFile(_("The file has more than %(n)s columns.") % {"n": MAX_COLUMNS})
        if not width:
            continue
        if len(kept) > MAX_ROWS:  # the header and MAX_ROWS rows are already kept
            raise UnreadableFile(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
        kept.append(list(row[:width]))
    return kept


def _xlsx(data: bytes) -> Generator[list[Any], None, None]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # The sizes a zip declares are upper bounds: reading past one is an error.
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise UnreadableFile(_("This file is not a valid XLSX workbook.")) from None
    # Parts other than the sheets (shared strings, styles) are loaded whole when the workbook
    # opens, so each has a smaller limit of its own.
    if sum(m.file_size for m in members) > MAX_XLSX_UNCOMPRESSED or any(
        m.file_size > MAX_XLSX_PART and not m.filename.startswith("xl/worksheets/") for m in members
    ):
        raise UnreadableFile(
            _("This workbook unpacks to more than %(mb)s MB; save it as CSV, or split it.")
            % {"mb": MAX_XLSX_UNCOMPRESSED // 2**20}
        )
    # Imported here, not with the module: the privacy services load this one, so every
    # `engage` command and the web process did, and openpyxl took 0.13 s of each start.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile(_("This file is not a valid XLSX workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        # The declared dimension is the file's say, not a fact: ignore it, and never ask
        # for more columns than one past the limit (so the limit can be seen).
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception:  # a damaged sheet part, found while streaming it
                raise UnreadableFile(_("This file is not a valid XLSX workbook.")) from None
            yield list(row)
    finally:
        workbook.close()


def _csv(data: bytes) -> Generator[list[Any], None, None]:
    try:
        text = data.decode("utf-8-sig")  # strips the byte order mark Excel writes
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the ANSI code page: cp1252 in Western Europe. It
        # leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D): a file with one of them
        # is in no encoding Engage knows, and is refused with the way out rather than a 500.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise UnreadableFile(
                _(
                    "This CSV file's text encoding is not one Engage can read. In Excel, save "
                    "it as \"CSV UTF-8\" or as an XLSX workbook, and upload it again."
                )
            ) from None
    if "\x00" in text:
        raise UnreadableFile(_("This file is neither CSV nor XLSX."))
    first_line = text.split("\n", 1)[0]
    # The separator is the one the header line uses most: ";" where Excel's locale uses a
    # decimal comma (France, Belgium, much of Europe), "," elsewhere, or a tab.
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if len(row) > MAX_COLUMNS and any(_present(cell) for cell in row[MAX_COLUMNS:]):
                raise UnreadableFile(
                    _("The file has more than %(n)s columns.") % {"n": MAX_COLUMNS}
                )
            yield row[: MAX_COLUMNS + 1]
    except csv.Error:
        raise UnreadableFile(_("This file is neither CSV nor XLSX.")) from None
