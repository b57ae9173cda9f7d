"""Fictional appointments in the coming days, so My week and the case pages show them.

Written through `cases.services`, like real ones: most planned on their own, one per case
manager as the next appointment of a contact logged today.
"""

import datetime

from django.utils import timezone

from engage.accounts.models import Organisation, Role, User
from engage.cases import services
from engage.cases.models import Appointment, Case
from engage.cases.models.case import OPEN_STAGES

# (days from today, time, kind, place) for the open cases of each case manager, in turn.
PLAN = (
    (0, datetime.time(10, 0), Appointment.Kind.MEETING, "Office, room 2"),
    (1, datetime.time(14, 30), Appointment.Kind.HOME_VISIT, "Fictional address of the demo"),
    (2, None, Appointment.Kind.CALL, ""),
    (3, datetime.time(9, 0), Appointment.Kind.ACCOMPANIMENT, "Migration office, {city}"),
    (5, datetime.time(11, 0), Appointment.Kind.MEETING, "Office, room 1"),
    (8, datetime.time(9, 30), Appointment.Kind.ACCOMPANIMENT, "Administrative court, {city}"),
    (11, None, Appointment.Kind.HOME_VISIT, "Fictional address of the demo"),
)


def seed_appointments(
    organisation: Organisation, *, city: str, today: datetime.date | None = None
) -> int:
    """Plan appointments for each demo case manager's open cases. Return how many."""
    if Appointment.objects.filter(case__organisation=organisation).exists():
        return 0
    today = today or timezone.localdate()
    made = 0
    managers = User.objects.filter(
        organisation=organisation, role=Role.CASE_MANAGER, is_active=True
    ).order_by("username")
    for manager in managers:
        cases = list(
            Case.objects.filter(
                organisation=organisation, case_manager=manager, stage__in=OPEN_STAGES
            ).order_by("stage", "reference")  # active cases first[: len(PLAN) + 1]
        )
        if not cases:
            continue
        # The first case: a contact logged today, with the next appointment agreed during it.
        first = cases.pop(0)
        services.log_contact(
            first,
            by=manager,
            data={"date": today, "type": "face_to_face"},
            next_appointment={
                "date": today + datetime.timedelta(days=4),
                "time": datetime.time(16, 0),
                "kind": Appointment.Kind.HOME_VISIT,
                "place": "Fictional address of the demo",
            },
        )
        made += 1
        for case, (days, time, kind, place) in zip(cases, PLAN, strict=False):
            services.plan_appointment(
                case,
                by=manager,
                data={
                    "date": today + datetime.timedelta(days=days),
                    "time": time,
                    "kind": kind,
                    "place": place.format(city=city),
                },
            )
            made += 1
    return made
