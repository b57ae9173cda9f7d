"""The error summary at the top of a sent form drawn by `includes/form.html`: the forms whose
views give none of their own (`engage.lib.forms.error_summary`) get it from their form, so every
form sent with mistakes says so first, and takes the focus (engage.js) to be read at once."""

from typing import Any

from django import forms
from django.template import Context, Library

from engage.lib.forms import error_summary

register = Library()


@register.inclusion_tag("includes/error_summary.html", takes_context=True)
def form_error_summary(context: Context, form: forms.BaseForm | None) -> dict[str, Any]:
    """Draw the summary of `form`'s field errors, unless the page drew its own already."""
    if context.get("error_summary") or not isinstance(form, forms.BaseForm):
        return {"error_summary": []}
    return {"error_summary": error_summary(form)}
