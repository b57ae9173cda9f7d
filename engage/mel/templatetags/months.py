"""A month of the network's periods ("2025-12") as the reader's language writes it."""

from django import template

from engage.mel.report.render import month_name

register = template.Library()


@register.filter
def month(value: object) -> str:
    """`{{ run.start|month }}`: "December 2025", "Δεκέμβριος 2025"; anything else as it is."""
    text = str(value or "")
    try:
        return month_name(text)
    except ValueError:
        return text
