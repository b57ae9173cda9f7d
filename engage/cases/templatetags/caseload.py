"""What caseload tables share: the one wording for lateness, and column headers that sort."""

from django import template
from django.template import Context
from django.utils.html import format_html

from engage.cases import due

register = template.Library()


@register.filter
def lateness(days_overdue: int | str | None) -> str:
    """`{{ item.days_overdue|lateness }}`: "overdue by 22 days", "due today", "due in 3 days"."""
    if days_overdue is None or days_overdue == "":
        return ""
    return due.lateness(int(days_overdue))


@register.simple_tag(takes_context=True)
def sort_header(context: Context, name: str, label: str) -> str:
    """A column header whose link sorts the table by `name`, and the other way when it already is.

    A plain link (`?sort=...`, keeping the page's other parameters but the page number), so it
    works without JavaScript; `aria-sort` says which column the table is sorted by.
    """
    current = context.get("sort", due.DEFAULT_SORT)  # "": the page's own order, none marked
    query = context["request"].GET.copy()
    query.pop("page", None)
    query["sort"] = f"-{name}" if current == name else name
    if current == name:
        state, arrow = "ascending", "▲"
    elif current == f"-{name}":
        state, arrow = "descending", "▼"
    else:
        return format_html('<th scope="col"><a href="?{}">{}</a></th>', query.urlencode(), label)
    return format_html(
        '<th scope="col" aria-sort="{}"><a href="?{}">{} <span aria-hidden="true">{}</span></a></th>',
        state,
        query.urlencode(),
        label,
        arrow,
    )
