"""De-identified facts derived from identifying ones, kept when the identity is erased."""

import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engage.cases.models import Case

AGE_BANDS = (
    (0, 17, "0-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 49, "35-49"),
    (50, 64, "50-64"),
)


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band(born: datetime.date | None, day: datetime.date) -> str:
    """The network dataset's age band on `day` (`unknown` without a date of birth)."""
    if born is None:
        return "unknown"
    age = age_on(born, day)
    for low, high, band in AGE_BANDS:
        if low <= age <= high:
            return band
    return "65+"


def case_age_band(case: "Case") -> str:
    """The age band at referral: kept on the case once the identity is erased."""
    return case.age_band_at_referral or age_band(case.person.date_of_birth, case.referral_date)
