"""The security keys section of the two-step verification page."""

from typing import Any

from django import template
from django.template import Context

from engage.accounts import security_keys

register = template.Library()


@register.inclusion_tag("accounts/webauthn/_section.html", takes_context=True)
def security_keys_section(context: Context) -> dict[str, Any]:
    user = context["request"].user
    return {
        "keys": security_keys.keys_of(user),
        "required": security_keys.key_required(user),
        "name_length": security_keys.NAME_LENGTH,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def has_security_key(context: Context) -> bool:
    return security_keys.has_key(context["request"].user)
