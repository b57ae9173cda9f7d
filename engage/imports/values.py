"""Reading one cell as the value Engage stores: dates in mixed formats, choices, countries.

Each function returns the value or raises `BadValue` with the message shown in the report.
"""

import datetime
import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from engage.cases.models.person import Nationalities
from engage.imports.fields import ImportField, header_key

# Excel counts days from 1899-12-30 (its 1900 leap-year bug included, so this epoch is right
# for every date after February 1900).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
EXCEL_SERIAL = re.compile(r"^\d{4,5}(\.0+)?$")
ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})$")


class BadValue(ValueError):
    pass


def cell_text(value: object) -> str:
    """A cell as text, trimmed and with inner runs of spaces made one."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def parse_date(value: object, *, day_first: bool) -> datetime.date | None:
    """A date written as ISO, DD/MM/YYYY, DD.MM.YYYY (or MM/DD/YYYY when not `day_first`),
    an Excel date cell or an Excel serial number."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    text = cell_text(value)
    if not text:
        return None
    if EXCEL_SERIAL.match(text):
        return _serial(float(text))
    if match := ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
        return _date(year, month, day, text)
    if match := NUMERIC.match(text):
        first, second, year_text = match.groups()
        if len(year_text) != 4:
            raise BadValue(_("“%(value)s”: write the year with four digits.") % {"value": text})
        day_text, month_text = (first, second) if day_first else (second, first)
        return _date(int(year_text), int(month_text), int(day_text), text)
    raise BadValue(_("“%(value)s” is not a date.") % {"value": text})


def _serial(number: float) -> datetime.date:
    if not 1 <= number < 2958466:
        raise BadValue(_("“%(value)s” is not a date.") % {"value": cell_text(number)})
    return EXCEL_EPOCH + datetime.timedelta(days=int(number))


def _date(year: int, month: int, day: int, text: str) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise BadValue(_("“%(value)s” is not a date.") % {"value": text}) from None


def languages() -> list[str]:
    """Engage's languages, English and French first: a spreadsheet says a value in any of them
    (an Italian admin's "Polizia" was refused when only English and French were read). Where
    two languages write one word for two values, the first keeps it."""
    return ["en", "fr", *(code for code, _name in settings.LANGUAGES if code not in ("en", "fr"))]


def choice_lookup(spec: ImportField) -> dict[str, str]:
    """{normalised word: value} for a choice field: its values, its labels in each of
    Engage's languages, and the field's synonyms."""
    found: dict[str, str] = {}
    choices = spec.choice_class
    for value, _label in choices.choices:
        found[header_key(value)] = value
    for language in languages():
        with translation.override(language):
            for value, _label in choices.choices:
                found.setdefault(header_key(str(choices(value).label)), value)
    found.update({header_key(word): value for word, value in spec.synonyms.items()})
    return found


_COUNTRIES: dict[str, str] = {}


def country_lookup() -> dict[str, str]:
    """{normalised name or code: ISO code}, names in each of Engage's languages; "Stateless"
    and "Unknown" (and their codes XXA, XXX) as the nationality field offers them."""
    countries = Nationalities()
    if not _COUNTRIES:
        for language in languages():
            with translation.override(language):
                for code, name in countries:
                    _COUNTRIES.setdefault(header_key(name), code)
        for code, _name in countries:
            _COUNTRIES[header_key(code)] = code
            alpha3 = countries.alpha3(code)
            if alpha3:
                _COUNTRIES[header_key(alpha3)] = code
    return _COUNTRIES
