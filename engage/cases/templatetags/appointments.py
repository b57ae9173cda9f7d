"""The case page's appointments card: the next appointment first, then the others planned."""

from typing import Any

from django import template
from django.db.models import Exists, OuterRef
from django.template import Context

from engage.cases.access import CASE_WORKERS
from engage.cases.models import Appointment, Case
from engage.cases.services import today

register = template.Library()


PLANNED = "has_planned_appointments"


def planned_fact() -> dict[str, Exists]:
    """Whether the case has a planned appointment, for the case page's query: most cases have
    none, and then `planned_appointments` reads nothing."""
    return {PLANNED: Exists(Appointment.objects.filter(case=OuterRef("pk")).planned())}


def planned_appointments(case: Case) -> list[Appointment]:
    """The case's planned appointments in their order, read once per case object: the case
    page shows the next one in its key facts and all of them in their card."""
    read: list[Appointment] | None = case.__dict__.get("_planned_appointments")
    if read is None and not case.__dict__.get(PLANNED, True):
        read = case.__dict__["_planned_appointments"] = []
    if read is None:
        read = case.__dict__["_planned_appointments"] = list(
            Appointment.objects.filter(case=case).planned()
        )
    return read


@register.inclusion_tag("cases/_appointments.html", takes_context=True)
def case_appointments(context: Context, case: Case) -> dict[str, Any]:
    """The case's planned appointments (one query): to come, and past ones not yet marked."""
    day = today()
    planned = planned_appointments(case)
    works = context["user"].role in CASE_WORKERS
    return {
        "case": case,
        "coming": [a for a in planned if a.date >= day],
        # Still "planned" although their day has passed: held (mark done) or not (cancel).
        "unmarked": [a for a in planned if a.date < day] if works else [],
        "works": works,
        "statuses": Appointment.Status,
        "csrf_token": context.get("csrf_token"),
    }
