"""The case page's appointments card: the next appointment first, then the others planned."""

from typing import Any

from django import template
from django.template import Context

from engage.cases import workflow
from engage.cases.access import CASE_WORKERS
from engage.cases.models import Appointment, Case
from engage.cases.planned import planned_appointments
from engage.cases.services import today

register = template.Library()


@register.inclusion_tag("cases/_appointments.html", takes_context=True)
def case_appointments(context: Context, case: Case) -> dict[str, Any]:
    """The case's planned appointments (one query): to come, and past ones not yet marked."""
    day = today()
    planned = planned_appointments(case)
    works = context["user"].role in CASE_WORKERS
    # Planned, changed and marked while the case is open, and its person not erased: the
    # card offers nothing the services would refuse (`workflow.AFTER_ERASURE`).
    changes = works and "appointment" in workflow.allowed_steps(case)
    return {
        "case": case,
        "coming": [a for a in planned if a.date >= day],
        # Still "planned" although their day has passed: held (mark done) or not (cancel).
        "unmarked": [a for a in planned if a.date < day] if changes else [],
        "works": works,
        "changes": changes,
        "statuses": Appointment.Status,
        "csrf_token": context.get("csrf_token"),
    }
