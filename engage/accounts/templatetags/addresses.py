"""`{% address 'name' %}`: `{% url 'name' %}` for a name without arguments, reversed once and
kept (`engage.lib.addresses`). For the links of every page's frame."""

from django import template

from engage.lib.addresses import address as kept_address

register = template.Library()


@register.simple_tag
def address(name: str) -> str:
    return kept_address(name)
