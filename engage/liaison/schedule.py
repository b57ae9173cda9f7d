"""The reporting days an obligation expects: pure date arithmetic, tested on hand-made dates."""

import calendar
import datetime

WEEKLY, FORTNIGHTLY, MONTHLY, OTHER = "weekly", "fortnightly", "monthly", "other"
INTERVALS = {WEEKLY: 7, FORTNIGHTLY: 14}


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan -> 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def nth_day(
    start: datetime.date, frequency: str, interval_days: int | None, n: int
) -> datetime.date:
    """The n-th expected reporting day (0 is `start`)."""
    if frequency == MONTHLY:
        return _add_months(start, n)
    days = INTERVALS.get(frequency) or interval_days
    if not days:
        raise ValueError("an interval in days is needed for this frequency")
    return start + datetime.timedelta(days=days * n)


def first_expected_after(
    start: datetime.date,
    frequency: str,
    interval_days: int | None,
    end: datetime.date | None,
    after: datetime.date | None,
) -> datetime.date | None:
    """The first expected reporting day strictly after `after` (or the first of all).

    None when the obligation ends before it.
    """
    if after is None or after < start:
        day = start
    elif frequency == MONTHLY:
        months = (after.year - start.year) * 12 + after.month - start.month
        day = _add_months(start, max(months, 0))
        while day <= after:
            months += 1
            day = _add_months(start, months)
    else:
        step = INTERVALS.get(frequency) or interval_days
        if not step:
            raise ValueError("an interval in days is needed for this frequency")
        day = start + datetime.timedelta(days=((after - start).days // step + 1) * step)
    if end is not None and day > end:
        return None
    return day


def expected_days(
    start: datetime.date,
    frequency: str,
    interval_days: int | None,
    end: datetime.date | None,
    until: datetime.date,
) -> list[datetime.date]:
    """Every expected reporting day from `start` up to `until` (and the end), oldest first."""
    days, n = [], 0
    last = min(until, end) if end else until
    while (day := nth_day(start, frequency, interval_days, n)) <= last:
        days.append(day)
        n += 1
    return days
