"""What caseload tables share: the one wording for lateness, column headers that sort, when
the next contact is due and the badges of what is due."""

import datetime
from collections.abc import Iterable

from django import template
from django.template import Context
from django.utils import dateformat, formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

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


# The two cells below are drawn here rather than by included templates: a caseload of 25 rows
# included each twice a row, and those 50 small templates were a fifth of the page's time
# (docs/performance.md, "4 December, sixth session"). They give the HTML the templates gave
# (tests/cases/test_caseload_cells.py keeps the templates as the reference).


@register.simple_tag
def next_contact_due(
    on: datetime.date | None, overdue: int | None, *, short: bool = False
) -> SafeString | str:
    """`{% next_contact_due row.next_contact_on row.next_contact_overdue short=True %}`: the
    day the next contact is due (the short form of the language in a table) and how late it
    is, or a dash on a case with none (a closed one)."""
    if not on:
        return "—"
    return format_html(
        '<time datetime="{}">{}</time> <span class="lateness{}">{}</span>',
        dateformat.format(on, "Y-m-d"),
        formats.date_format(on, "SHORT_DATE_FORMAT" if short else None),
        " late" if overdue is not None and overdue > 0 else "",
        lateness(overdue),
    )


@register.simple_tag
def due_badges(items: Iterable[due.DueItem], link: str = "") -> SafeString:
    """`{% due_badges row.due link=url %}`: a badge for each item due (a link to the case
    when `link` is given), its lateness or, for a state, since when; a dash when nothing is."""
    badges = format_html_join("", "{} ", ((_badge(item, link),) for item in items))
    return badges or format_html('<span class="muted">{}</span>', "—")


def _badge(item: due.DueItem, link: str) -> SafeString:
    if item.since:
        text = format_html(
            "{} · {}",
            item.label,
            gettext("since %(date)s") % {"date": formats.date_format(item.since)},
        )
    elif item.days_overdue is not None:
        text = format_html("{} · {}", item.label, lateness(item.days_overdue))
    else:
        text = format_html("{}", item.label)
    classes = f"badge due due-{item.kind} tier-{int(item.tier)}"
    if link:
        return format_html('<a class="{}" href="{}">{}</a>', classes, link, text)
    return format_html('<span class="{}">{}</span>', classes, text)
