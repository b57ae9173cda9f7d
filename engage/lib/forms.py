from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.formsets import BaseFormSet


def apply_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to its field when the form has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(
            field if field in form.fields and field != NON_FIELD_ERRORS else None, errors
        )


@dataclass(frozen=True)
class ErrorLink:
    """One field's error in the summary at the top of a form, linked to the field."""

    target: str  # the id of the field's (first) control, to focus
    label: str
    message: str


def _control_id(field: forms.BoundField) -> str:
    if field.id_for_label:
        return field.id_for_label
    # A group of radio buttons or checkboxes: the first of them.
    subwidgets = field.subwidgets
    return (subwidgets[0].id_for_label if subwidgets else "") or field.auto_id


def error_summary(*forms_or_formsets: "forms.BaseForm | BaseFormSet[Any]") -> list[ErrorLink]:
    """Return every field error of the sent forms (formsets unfolded), in page order, each with
    the id of its field, for `includes/error_summary.html`.

    Errors that concern no field stay where the form shows them, at its top. A form may name
    itself in the summary (`summary_prefix`, e.g. "Household member 2"), where labels repeat.
    """
    links: list[ErrorLink] = []
    for item in forms_or_formsets:
        for form in item.forms if isinstance(item, BaseFormSet) else [item]:
            if not form.is_bound or not form.errors:
                continue
            prefix = getattr(form, "summary_prefix", "")
            for name in form.fields:
                if name not in form.errors or form.fields[name].widget.is_hidden:
                    continue
                field = form[name]
                label = f"{prefix}: {field.label}" if prefix else str(field.label)
                links.extend(
                    ErrorLink(_control_id(field), label, message) for message in field.errors
                )
    return links


def typed_values(form: forms.BaseForm) -> dict[str, Any]:
    """Return what was sent in `form`, field by field, as typed and unchecked: the initial
    values to show the form again when the person asked for something else than saving (an
    added block), so nothing typed is lost and no error is shown yet."""
    return {name: form[name].value() for name in form.fields}
