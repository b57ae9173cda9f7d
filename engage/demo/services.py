"""Fictional services for each demo pilot, and referrals of some demo cases to them.

Written through `directory.services` and `sharing.services` (a handful of rows per pilot, so
there is no need for bulk writes): every referral that discloses data has a consent recorded
for that very service first, so the demo shows valid referrals in every status. Contact persons
have obviously synthetic names.
"""

import datetime
import random

from django.utils import timezone

from engage.accounts.models import Organisation, User
from engage.cases.models import Case, Stage
from engage.directory import services as directory
from engage.directory.models import Referral, Service
from engage.sharing import services as sharing

# (name pattern, type, languages, eligibility, serves without status, shared with the network)
SERVICES = (
    (
        "{city} night shelter",
        "accommodation",
        "English, Arabic",
        "Adults, any status. Arrive before 20:00; a referral call from the case manager helps.",
        True,
        True,
    ),
    (
        "{city} community health centre",
        "healthcare",
        "English, French",
        "Primary care for people without insurance; bring any medical papers.",
        True,
        False,
    ),
    (
        "{city} trauma counselling service",
        "psychosocial",
        "English, Farsi, Arabic",
        "Adults and teenagers; waiting list of two to four weeks.",
        True,
        True,
    ),
    (
        "{city} legal aid clinic",
        "legal_aid",
        "English",
        "Asylum, appeals and family reunification. Appointment needed.",
        True,
        False,
    ),
    (
        "{city} language school",
        "education",
        "English",
        "Free classes for adults, whatever their status.",
        True,
        False,
    ),
    (
        "{city} community interpreters",
        "interpreting",
        "Arabic, Farsi, Pashto, Tigrinya, Somali",
        "Booked two days ahead by the case manager.",
        False,
        False,
    ),
)

# Obviously synthetic contact persons: (name, role).
CONTACTS = (
    ("Ana Specimen", "Intake coordinator"),
    ("Boris Mockov", "Social worker"),
    ("Carla Fictiva", "Nurse"),
    ("Dario Sampleti", "Counsellor"),
    ("Edith Placeholder", "Lawyer"),
    ("Farid Testwell", "Teacher"),
)

# The statuses the demo referrals end in, with how many days each step took.
STORIES: tuple[list[tuple[str, int]], ...] = (
    [],
    [("accepted", 3)],
    [("accepted", 2), ("completed", 10)],
    [("accepted", 5), ("no_show", 7)],
    [("declined", 4)],
    [("accepted", 1), ("completed", 6)],
)


def seed_services(organisation: Organisation, *, city: str, by: User) -> list[Service]:
    """Create the pilot's demo services and their contact persons, unless it has some."""
    existing = list(Service.objects.filter(organisation=organisation))
    if existing:
        return existing
    created = []
    for n, (name, kind, languages, eligibility, without_status, shared) in enumerate(SERVICES):
        service = directory.save_service(
            organisation,
            by=by,
            data={
                "name": name.format(city=city),
                "type": kind,
                "city": city,
                "address": f"{10 + n} Example Street, {city}",
                "phone": f"+00 000 000 {100 + n}",
                "email": f"contact{n}@service.example",
                "languages": languages,
                "eligibility": eligibility,
                "serves_without_status": without_status,
                "shared": shared,
                "active": True,
            },
        )
        contact_name, role = CONTACTS[n % len(CONTACTS)]
        directory.save_contact(
            service,
            by=by,
            data={
                "name": contact_name,
                "role": role,
                "phone": f"+00 000 111 {200 + n}",
                "email": f"{contact_name.split()[0].lower()}@service.example",
            },
        )
        created.append(service)
    return created


def seed_referrals(
    organisation: Organisation,
    services: list[Service],
    *,
    count: int = 8,
    today: datetime.date | None = None,
) -> int:
    """Refer a few open demo cases to the services, in every status. Return how many."""
    if not services or Referral.objects.filter(case__organisation=organisation).exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(f"{organisation.code}-referrals")  # noqa: S311 (a demo, not a secret)
    cases = list(
        Case.objects.filter(organisation=organisation, stage=Stage.ACTIVE)
        .select_related("person", "case_manager")
        .order_by("reference")[:count]
    )
    made = 0
    for n, case in enumerate(cases):
        service = services[n % len(services)]
        story = STORIES[n % len(STORIES)]
        steps = sum(days for _status, days in story)
        made_on = today - datetime.timedelta(days=steps + rng.randint(1, 20))
        if made_on < case.referral_date:
            continue
        by = case.case_manager
        categories = ["identity", "contact"] if n % 2 == 0 else []
        if categories:
            sharing.record_consent(
                case,
                by=by,
                data={
                    "person": case.person,
                    "recipient": service.recipient,
                    "purpose": "referral",
                    "categories": categories,
                    "given_on": made_on,
                    "expires_on": today + datetime.timedelta(days=180),
                    "language": "English",
                    "through_interpreter": n % 3 == 0,
                },
            )
        referral = directory.make_referral(
            case,
            by=by,
            service=service,
            made_on=made_on,
            reason="Fictional referral of the demo.",
            categories=categories,
        )
        on = made_on
        for status, days in story:
            on += datetime.timedelta(days=days)
            referral = directory.update_referral(
                referral,
                by=by,
                status=status,
                date=on,
                outcome_note="Fictional outcome." if status in ("completed", "no_show") else "",
                expected_version=referral.version,
            )
        made += 1
    return made
