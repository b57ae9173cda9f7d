"""A likely duplicate in each demo pilot, for its supervisor to resolve.

One client is registered by one case manager, then "the same" client, spelt as another
transliteration would have it and with the same date of birth, by another case manager, who
is warned and says it is a different person: the pair waits on the supervisor's "Possible
duplicates" page. Both go through `cases.services.register_referral`, like a referral typed in.
"""

import datetime
from typing import Any

from django.utils import timezone

from engage.accounts.models import City, Organisation, Role, User
from engage.cases import duplicates, services
from engage.cases.models import PossibleDuplicate

# (first spelling, second spelling, date of birth, sex, nationality), one per pilot in turn.
# Given names as transliterations give them, family names as obviously made up as the demo's.
PAIRS = (
    (
        ("Mohammed", "Sampleton"),
        ("Muhammad", "Sampleton"),
        datetime.date(1991, 3, 14),
        "male",
        "SY",
    ),
    (
        ("Oleksandr", "Specimenko"),
        ("Aleksandr", "Specimenko"),
        datetime.date(1987, 9, 2),
        "male",
        "UA",
    ),
    (("Youssef", "Fictiva"), ("Yusuf", "Fictiva"), datetime.date(1995, 6, 21), "male", "AF"),
    (("Amira", "Testova"), ("Амира", "Тестова"), datetime.date(1999, 1, 1), "female", "ER"),
)


def seed_duplicates(organisation: Organisation, *, index: int = 0) -> int:
    """Register the pilot's pair and flag it for the supervisor. Return 1, or 0 if done."""
    if PossibleDuplicate.objects.filter(organisation=organisation).exists():
        return 0
    managers = list(
        User.objects.filter(
            organisation=organisation, role=Role.CASE_MANAGER, is_active=True
        ).order_by("username")
    )
    city = City.objects.filter(organisation=organisation).order_by("name").first()
    if not managers or city is None:
        return 0
    first, second, born, sex, nationality = PAIRS[index % len(PAIRS)]
    today = timezone.localdate()
    for manager, (given, family), days in ((managers[0], first, 40), (managers[-1], second, 2)):
        arguments: dict[str, Any] = {
            "organisation": organisation,
            "by": manager,
            "case_manager": manager,
            "city": city,
            "person": {
                "given_name": given,
                "family_name": family,
                "date_of_birth": born,
                "sex": sex,
                "nationality": nationality,
            },
            "referral": {
                "referral_date": today - datetime.timedelta(days=days),
                "referral_source": "ngo",
                "detention_at_referral": "released",
                "migration_status": "asylum_seeker",
                "legal_basis": "consent",
                "purpose": "Case management in the community",
            },
        }
        try:
            services.register_referral(**arguments)
        except duplicates.PossibleDuplicateFound as found:
            # Warned, the case manager says it is someone else: the supervisor will decide.
            services.register_referral(**arguments, different_person=found.confirmation)
    return 1
