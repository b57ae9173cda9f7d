"""The case page's "Take offline" button (so `cases` does not import this app)."""

from typing import Any

from django import template

from engage.cases.access import CASE_WORKERS
from engage.cases.workflow import person_erased
from engage.offline import services

register = template.Library()


@register.inclusion_tag("offline/_toggle.html", takes_context=True)
def offline_toggle(context: template.Context, case: Any) -> dict[str, Any]:
    user = context["request"].user
    shown = user.role in CASE_WORKERS and case.is_open
    taken = shown and services.is_offline(user, case)
    if not taken and person_erased(case):
        shown = False  # no visit can be recorded on it (item 60); one taken can be let go
    return {
        "case": case,
        "shown": shown,
        "taken": taken,
        "csrf_token": context.get("csrf_token"),
    }
