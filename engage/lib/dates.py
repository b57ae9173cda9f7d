"""The dates Engage accepts at its edge: forms, the API and the importer.

Year 1 or 9999 was accepted, or gave a 500 further on (a date plus a contact interval past
year 9999, a month written `1-01` that the network's checker then refused for the whole
pilot). Every date typed into a form or sent to the API is checked here once (`install()`
adds `validate_plausible` to every form and API date field of the process):

- any date lies between 1 January 1900 and 31 December a hundred years from now, which holds
  every real date of birth, referral, contact, consent expiry or reporting day;
- a date of birth, and other dates that cannot be in the future, also not after today
  (`validate_birth_date`, `validate_not_future`), applied where those fields are.
"""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = datetime.date(1900, 1, 1)
YEARS_AHEAD = 100


def latest(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return datetime.date(today.year + YEARS_AHEAD, 12, 31)


def local_today(time_zone: str) -> datetime.date:
    """Return today's date in the zone named `time_zone` (the server's zone if it is unknown).

    A form opened at 00:30 in Sofia defaults to Sofia's date, not the server's (UTC: yesterday).
    """
    return local_date(timezone.now(), time_zone)


def local_date(moment: datetime.datetime, time_zone: str) -> datetime.date:
    """Return the day `moment` fell on in the zone named `time_zone` (the server's if unknown).

    A stored time is in UTC: its `.date()` is the day before for anything done in Sofia between
    midnight and 02:00 (03:00 in summer).
    """
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    return timezone.localdate(moment, timezone=zone)


def _as_date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return None


def is_plausible(value: object) -> bool:
    day = _as_date(value)
    return day is None or EARLIEST <= day <= latest()


def validate_plausible(value: object) -> None:
    """Refuse a date before 1900 or more than a hundred years ahead."""
    if not is_plausible(value):
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="implausible_date",
            params={
                "earliest": formats.date_format(EARLIEST),
                "latest": formats.date_format(latest()),
            },
        )


def validate_plausible_month(value: str) -> None:
    """A month typed as `YYYY-MM` (reports, dashboards, evaluation cycles) is a date too:
    refuse one outside `validate_plausible`'s bounds (year 1 or 9999 was computed month by
    month). The format itself is the caller's to check."""
    try:
        day = datetime.date(int(value[:4]), int(value[5:7]), 1)
    except ValueError:
        day = datetime.date.min
    validate_plausible(day)


def validate_not_future(value: object) -> None:
    validate_plausible(value)
    day = _as_date(value)
    if day is not None and day > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future_date")


def validate_birth_date(value: object) -> None:
    validate_plausible(value)
    day = _as_date(value)
    if day is not None and day > timezone.localdate():
        raise ValidationError(_("A date of birth cannot be in the future."), code="future_date")


def install() -> None:
    """Check every date field of every form and API serializer against `validate_plausible`.

    Set on the field classes' default validators, so a form or serializer written later is
    covered without remembering to; fields add their own rules (birth dates) beside it."""
    from django import forms
    from rest_framework import fields

    for field_class in (
        forms.DateField,
        forms.DateTimeField,
        fields.DateField,
        fields.DateTimeField,
    ):
        if validate_plausible not in field_class.default_validators:
            field_class.default_validators = [*field_class.default_validators, validate_plausible]
