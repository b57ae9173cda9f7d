"""The answers to the organisation's own fields on the case page, rendered by this app so that
`cases` need not import it."""

from django import template
from django.template import Context

from engage.cases.access import CASE_WORKERS
from engage.cases.models import Case
from engage.custom.reading import Answer, answers, answers_on_page, by_record

register = template.Library()


@register.inclusion_tag("custom/_answers.html", takes_context=True)
def custom_answers(context: Context, case: Case, form: str) -> dict[str, list[Answer]]:
    """The answers of `form` on the case (as <dt>/<dd> pairs), for the people working on it;
    sensitive ones for its own case manager and their supervisor only (one query, shared
    with the timeline's)."""
    user = context["user"]
    if user.role not in CASE_WORKERS:
        return {"answers": []}
    return {"answers": answers_on_page(case, user, form=form)}


@register.simple_tag(takes_context=True)
def custom_answers_by_record(context: Context, case: Case, form: str) -> dict[str, list[Answer]]:
    """The answers of every record of `form` on the case, by record id, in one query: for a
    page that lists many records (the plan's goals), read with `custom_record_answers`."""
    user = context["user"]
    if user.role not in CASE_WORKERS:
        return {}
    return by_record(answers(case, user, form=form))


@register.inclusion_tag("custom/_record_answers.html", takes_context=True)
def custom_record_answers(
    context: Context,
    case: Case,
    form: str,
    record_id: object,
    # "" when the template's variable is unset (a card sent by htmx).
    loaded: dict[str, list[Answer]] | str | None,
) -> dict[str, list[Answer]]:
    """The answers of one record (a goal) as a description list, taken from what
    `custom_answers_by_record` loaded, or read for this record alone (a card sent by htmx)."""
    if loaded is None or isinstance(loaded, str):
        loaded = custom_answers_by_record(context, case, form)
    return {"answers": loaded.get(str(record_id), [])}
