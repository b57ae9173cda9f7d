"""The case page's key facts, first on a phone (issue 13): who, how old, how to call, when next."""

from typing import Any

from django import template
from django.template import Context

from engage.cases.access import CASE_WORKERS
from engage.cases.models import Case
from engage.cases.planned import planned_appointments
from engage.cases.services import today

register = template.Library()


@register.inclusion_tag("cases/_key_facts.html", takes_context=True)
def case_key_facts(context: Context, case: Case) -> dict[str, Any]:
    """The client's age and phone (for the people working on the case), the next appointment
    and when the next contact is due."""
    day = today()
    works = context["user"].role in CASE_WORKERS
    person = case.person
    return {
        "case": case,
        "works": works,
        "age": person.age_on(day) if works else None,
        "phone": person.phone if works else "",
        "phone_uri": person.phone_uri if works else "",
        "appointment": next((a for a in planned_appointments(case) if a.date >= day), None),
        "next_contact": context.get("next_contact"),
        "interval_form": context.get("interval_form"),
        "csrf_token": context.get("csrf_token"),
    }
