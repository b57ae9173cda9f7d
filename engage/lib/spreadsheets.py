"""Text that goes into, or comes out of, a spreadsheet: never a formula (CSV/formula injection).

A cell whose text starts with `=`, `+`, `-` or `@` is read by Excel, LibreOffice and Google
Sheets as a formula: a city named `=HYPERLINK("http://x", "y")` becomes a link that sends the
sheet's data away, `-2+3+cmd|' /C calc'!A0` runs a program (DDE). OWASP's rule
(https://owasp.org/www-community/attacks/CSV_Injection) is applied here once:

- `is_formula(text)` says whether a text would be taken for a formula: it starts (after any
  spaces, tabs or line breaks, which some readers strip) with `=`, `@`, their full-width forms,
  or with `+`/`-` followed by anything but a plain number or phone number (`+359 2 987 65 43`,
  `-12.5`, which carry no function, reference or command and so are harmless). Importers refuse
  such values with a clear message.
- `any_formula(values)` says the same of a row of values at once (one search of them joined).
- `neutralise(value)` is what a CSV writer puts in a cell: the text with a single quote in
  front when it is formula-like (spreadsheets show it as text), anything else unchanged.
- `as_text_cells(book)` is what an XLSX writer calls before saving: openpyxl turns every string
  starting with `=` into a formula, so each such cell is written back as an explicit string,
  with its text exact. Engage writes no formula of its own.
"""

import re
from collections.abc import Collection
from typing import TYPE_CHECKING, TypeGuard, TypeVar

if TYPE_CHECKING:
    from openpyxl import Workbook

_Value = TypeVar("_Value")

FORMULA_STARTS = frozenset("=@\uff1d\uff20")  # = @ and their full-width forms
SIGN_STARTS = frozenset("+-\uff0b\uff0d")  # + - and their full-width forms
LEADING_BLANKS = " \t\r\n\u00a0"
# After a sign, only digits and the punctuation of numbers and phone numbers: no letter (a
# function or a cell reference), no quote, no `|` or `!` (a command or another sheet).
_PLAIN_NUMBER = re.compile(r"[0-9\s().,/+\-]*")


# What a formula's text can start with: a formula's start, a sign, or a blank before them.
_MAY_START = FORMULA_STARTS | SIGN_STARTS | frozenset(LEADING_BLANKS)


def is_formula(value: object) -> TypeGuard[str]:
    """Whether a spreadsheet would read this text as a formula."""
    # Most text starts with none of those: decided without stripping a copy of it (a dataset
    # export asks three times for each of its 3.6 million cells at 100,000 clients).
    if not isinstance(value, str) or not value or value[0] not in _MAY_START:
        return False
    text = value.lstrip(LEADING_BLANKS)
    if not text:
        return False
    if text[0] in FORMULA_STARTS:
        return True
    if text[0] in SIGN_STARTS:
        return not _PLAIN_NUMBER.fullmatch(text[1:])
    # A cell starting with a tab or a line break is taken for a formula by some readers when
    # what follows is one; the text without them was checked above.
    return False


# The start of a value that may be a formula, each value put after a NUL (`any_formula`).
_MAY_START_AFTER_NUL = re.compile("\x00[" + re.escape("".join(sorted(_MAY_START))) + "]")


def any_formula(values: Collection[object]) -> bool:
    """Whether any of `values` is formula-like (`is_formula`), for a whole row of text at once.

    The values are joined, each after a NUL, and searched once for a NUL followed by a
    character a formula may start with: one call in C for the row, where a call of `is_formula`
    for each value was a tenth of a dataset export (3.7 million cells, each looked at three
    times; issue 17). Every value's first character follows a NUL, so a row the search finds
    nothing in has no value `is_formula` would take; one it finds something in (a value that
    starts with a sign, or holds a NUL) is checked value by value. `values` are gone through
    twice then: a collection (a tuple, a dict's values), not an iterator."""
    try:
        joined = "\x00" + "\x00".join(values)  # type: ignore[arg-type]
    except TypeError:  # not every value is text: `is_formula` says False of those
        return any(map(is_formula, values))
    return _MAY_START_AFTER_NUL.search(joined) is not None and any(map(is_formula, values))


def neutralise(value: _Value) -> _Value | str:
    """The value to write in a CSV cell: formula-like text behind a single quote."""
    if is_formula(value):
        return "'" + value
    return value


def as_text_cells(book: "Workbook") -> int:
    """Make every formula cell of an openpyxl workbook a plain string cell; return how many.

    Call it just before `book.save`: whatever wrote the cells (the report, a registered part),
    a text that looks like a formula stays text."""
    changed = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    # Set after the value: openpyxl guessed "f" from the leading "=". Other
                    # formula-like texts (+, -, @) are already string cells, never evaluated.
                    cell.data_type = "s"
                    changed += 1
    return changed
