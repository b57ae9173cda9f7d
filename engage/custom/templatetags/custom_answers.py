"""The answers to the organisation's own fields on the case page, rendered by this app so that
`cases` need not import it."""

from django import template

from engage.cases.access import CASE_WORKERS
from engage.cases.models import Case
from engage.custom.reading import answers

register = template.Library()


@register.inclusion_tag("custom/_answers.html", takes_context=True)
def custom_answers(context, case: Case, form: str) -> dict:
    """The answers of `form` on the case (as <dt>/<dd> pairs), for the people working on it;
    sensitive ones for its own case manager and their supervisor only (one query)."""
    user = context["user"]
    if user.role not in CASE_WORKERS:
        return {"answers": []}
    return {"answers": answers(case, user, form=form)}
