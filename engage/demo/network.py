"""Fictional stakeholders, interactions, network activities and costs for the seven pilots and
the network (`engage seed_demo`). Names of institutions are generic; the people named in the
interactions and every figure are invented. Idempotent: records are found again by name."""

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from engage.accounts.models import Organisation, User
from engage.network import services
from engage.network.models import (
    Activity,
    DetentionCost,
    Interaction,
    ProgrammeBudget,
    Stakeholder,
    owner_filter,
)

# A fictional cost of a day in detention per country, in the currency it is published in.
# Poland's figure is in euros while its budget is in złoty: the report then says it cannot
# compare them (nothing is converted).
DETENTION_COSTS = {
    "BE": ("EUR", "180.00"),
    "BG": ("EUR", "62.00"),
    "CY": ("EUR", "95.00"),
    "GR": ("EUR", "70.00"),
    "IT": ("EUR", "110.00"),
    "PL": ("EUR", "75.00"),
    "GB": ("GBP", "115.00"),
}
BUDGET_CURRENCY = {"PL": "PLN", "GB": "GBP"}

STAKEHOLDERS = (
    # name, actor type, level, city?, stages (days ago, stage), shared
    ("Ministry of Interior, migration directorate", "national_authority", "national", False,
     ((400, "identified"), (300, "contacted"), (120, "engaged")), True),
    ("{city} municipality, social services", "local_authority", "local", True,
     ((380, "contacted"), (200, "engaged"), (60, "partner")), True),
    ("National ombudsperson's office", "ombudsperson", "national", False,
     ((250, "identified"), (90, "contacted")), False),
    ("UNHCR country office", "un_agency", "national", False,
     ((500, "contacted"), (300, "engaged")), True),
    ("{city} administrative court", "judiciary", "local", True, ((150, "identified"),), False),
    ("{city} migrant voices collective", "migrant_led", "local", True,
     ((330, "contacted"), (100, "partner")), False),
    ("{city} university law clinic", "academia", "local", True,
     ((210, "contacted"), (40, "engaged")), False),
    ("{city} daily newspaper", "media", "local", True, ((70, "contacted"),), False),
)  # fmt: skip

NETWORK_STAKEHOLDERS = (
    ("European Commission, DG Home", "national_authority", "eu",
     ((600, "contacted"), (200, "engaged"))),
    ("Council of Europe, migration unit", "national_authority", "international",
     ((500, "engaged"), (150, "partner"))),
    ("A private foundation for migrants' rights", "funder", "international",
     ((300, "contacted"), (80, "partner"))),
)  # fmt: skip

PEOPLE = ("Anna Demo, head of unit", "Marco Demo, policy officer", "Sara Demo, coordinator")


def _ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def _stakeholder(by: User, name: str, actor_type: str, level: str, country: str, city: str,
                 stages: Sequence[tuple[int, str]], shared: bool) -> Stakeholder:  # fmt: skip
    found: Stakeholder | None = Stakeholder.objects.filter(owner_filter(by), name=name).first()
    if found is not None:
        return found
    (first_days, first_stage), *later = stages
    stakeholder = services.save_stakeholder(
        by=by,
        data={"name": name, "actor_type": actor_type, "level": level, "country": country,
              "city": city, "description": "", "shared": shared},
        stage=first_stage,
        stage_date=_ago(first_days),
    )  # fmt: skip
    for days, stage in later:
        services.change_stage(stakeholder, by=by, stage=stage, date=_ago(days))
    for n, (days, _stage) in enumerate(stages):
        Interaction.objects.create(
            stakeholder=stakeholder,
            date=_ago(days),
            type=("meeting", "email", "call")[n % 3],
            people=PEOPLE[n % len(PEOPLE)],
            note="Presented the pilot's figures; agreed to meet again.",
            recorded_by=by,
        )
    return stakeholder


def _last_six_months() -> tuple[datetime.date, datetime.date]:
    """The six full months up to the end of last month: a period that is over, inside the
    default report period (the twelve months up to last month)."""
    end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    for _month in range(5):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    return start, end


def _activity(by: User, title: str, **data: Any) -> None:
    if Activity.objects.filter(owner_filter(by), title=title).exists():
        return
    services.save_activity(by=by, data={"title": title, **data})


def seed_pilot_network(organisation: Organisation, *, city: str, supervisor: User,
                       admin: User) -> int:  # fmt: skip
    """The pilot's stakeholder map, activities and budget; return the stakeholders it has."""
    country = organisation.country.code
    for name, actor_type, level, local, stages, shared in STAKEHOLDERS:
        _stakeholder(supervisor, name.format(city=city), actor_type, level, country,
                     city if local else "", stages, shared)  # fmt: skip
    ministry = Stakeholder.objects.filter(
        organisation=organisation, actor_type="national_authority"
    ).first()
    _activity(supervisor, f"Briefing for the {city} city council", kind="presentation",
              date=_ago(45), country=country, city=city, invited=True)  # fmt: skip
    _activity(supervisor, "Parliamentary hearing on alternatives to detention",
              kind="presentation", date=_ago(130), country=country, high_profile=True,
              invited=True, stakeholder=ministry)  # fmt: skip
    _activity(supervisor, "Case management training for partner NGOs", kind="training",
              date=_ago(75), country=country, city=city, participants=18,
              participants_lived_experience=4)  # fmt: skip
    _activity(supervisor, "Concept note: scaling the pilot with the municipality",
              kind="concept_note", date=_ago(95), country=country, city=city)  # fmt: skip
    _activity(supervisor, "Peer mentors with lived experience in case management",
              kind="le_case_work", date=_ago(300), country=country, people=2)  # fmt: skip
    _activity(supervisor, "Self-advocacy group led by former detainees", kind="le_initiative",
              date=_ago(160), country=country, city=city)  # fmt: skip
    currency = BUDGET_CURRENCY.get(country, "EUR")
    start, end = _last_six_months()
    if not ProgrammeBudget.objects.filter(organisation=organisation).exists():
        services.save_budget(
            by=admin,
            data={"start": start, "end": end, "amount": Decimal("90000.00"),
                  "currency": currency,
                  "covers": "Case managers' salaries, interpreters and clients' basic needs; "
                            "some advocacy time"},
        )  # fmt: skip
    return Stakeholder.objects.filter(organisation=organisation).count()


def seed_network_records(coordinator: User) -> None:
    """The network's own stakeholders and activities, and the cost of detention per country."""
    for name, actor_type, level, stages in NETWORK_STAKEHOLDERS:
        _stakeholder(coordinator, name, actor_type, level, "", "", stages, False)
    _activity(
        coordinator,
        "Panel at the European Migration Forum",
        kind="presentation",
        date=_ago(60),
        country="BE",
        city="Brussels",
        high_profile=True,
        invited=True,
    )
    _activity(
        coordinator,
        "Scoping a pilot in a country of first reception",
        kind="pilot_explored",
        date=_ago(110),
        country="MT",
        expansion="new_country",
    )
    _activity(
        coordinator,
        "New pilot city: Ghent",
        kind="pilot_started",
        date=_ago(50),
        country="BE",
        city="Ghent",
        expansion="new_city",
    )
    _activity(
        coordinator,
        "Exploring a pilot with Milan",
        kind="pilot_explored",
        date=_ago(140),
        country="IT",
        city="Milan",
        expansion="new_city",
    )
    _activity(
        coordinator, "Two-year grant for the network's coordination", kind="funding", date=_ago(200)
    )
    _activity(
        coordinator,
        "Training of trainers with lived experience of detention",
        kind="training",
        date=_ago(30),
        participants=12,
        participants_lived_experience=7,
    )
    year = timezone.localdate().year - 1
    for country, (currency, amount) in DETENTION_COSTS.items():
        if not DetentionCost.objects.filter(country=country, year=year).exists():
            services.save_detention_cost(
                by=coordinator,
                data={"country": country, "year": year, "amount": Decimal(amount),
                      "currency": currency,
                      "source": f"Fictional figure for the demo ({year})"},
            )  # fmt: skip
