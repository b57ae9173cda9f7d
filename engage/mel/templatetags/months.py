"""A month of the network's periods ("2025-12"), and a disclosure level ("network"), as the
reader's language writes them."""

from django import template

from engage.mel.report.render import LEVEL_NAMES, month_name

register = template.Library()


@register.filter
def month(value: object) -> str:
    """`{{ run.start|month }}`: "December 2025", "Δεκέμβριος 2025"; anything else as it is."""
    text = str(value or "")
    try:
        return month_name(text)
    except ValueError:
        return text


@register.filter
def disclosure_level(value: object) -> str:
    """`{{ snapshot.disclosure|disclosure_level }}`: the level in words, not its code."""
    return str(LEVEL_NAMES.get(str(value), value))
