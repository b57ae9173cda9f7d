"""Forms and the services behind them: a refusal shown next to its field, the error summary,
a form shown again as typed, and `run_service`, the one way a view calls a service."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.formsets import BaseFormSet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from engage.lib.concurrency import ConcurrentEditError


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
                label = (
                    # French puts a space before the colon ("Membre du foyer 2 : Prénom").
                    _("%(label)s: %(value)s") % {"label": prefix, "value": field.label}
                    if prefix
                    else str(field.label)
                )
                links.extend(
                    ErrorLink(_control_id(field), label, message) for message in field.errors
                )
    return links


def typed_values(form: forms.BaseForm) -> dict[str, Any]:
    """Return what was sent in `form`, field by field, as typed and unchecked: the initial
    values to show the form again when the person asked for something else than saving (an
    added block), so nothing typed is lost and no error is shown yet."""
    return {name: form[name].value() for name in form.fields}


T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """What the service returned, once it did its work (always true, even when it is None)."""

    result: T


def run_service(
    request: HttpRequest,
    form: forms.BaseForm | None,
    call: Callable[[], T],
    success: str | None = None,
) -> Done[T] | None:
    """Call the service once `form` is sent and valid; return what it returned, or None.

    The one way a view asks a service to change something. None when there is nothing to do
    (the form not sent, or invalid) or the service refused: its `ValidationError` is shown next
    to the field it names (`apply_validation_error`), a concurrent edit (`ConcurrentEditError`)
    at the top of the form, and the view shows the form again. Without a form the view has
    already decided to act (a button that only posts, a download): the service is called and a
    refusal is a message for the next page. `success` is the message for the next page; None
    for an answer that shows the change itself. A service's other exceptions pass through.
    """
    if form is not None and (request.method != "POST" or not form.is_valid()):
        return None
    try:
        result = call()
    except ConcurrentEditError:
        _refuse(request, form, ValidationError(ConcurrentEditError.message))
        return None
    except ValidationError as error:
        _refuse(request, form, error)
        return None
    if success:
        messages.success(request, success)
    return Done(result)


def _refuse(request: HttpRequest, form: forms.BaseForm | None, error: ValidationError) -> None:
    if form is not None:
        apply_validation_error(form, error)
    else:
        for message in error.messages:
            messages.error(request, message)


# A destructive step asked once more (a removal, a file thrown away): the view's POST without
# `CONFIRMED` answers with a page that says what will go and posts again with it. Without
# JavaScript as with it; nothing is removed by the first click.
CONFIRMED = "confirmed"


def confirmation(
    request: HttpRequest, *, question: str, consequence: str, button: str, back: str
) -> HttpResponse | None:
    """None once the person confirmed (`CONFIRMED` in the POST), else the page that asks."""
    from django.shortcuts import render

    if request.POST.get(CONFIRMED) == "yes":
        return None
    context = {
        "question": question,
        "consequence": consequence,
        "button": button,
        "back": back,
        "confirmed": CONFIRMED,
    }
    return render(request, "includes/confirm_page.html", context)


def small_enough(upload: UploadedFile) -> UploadedFile:
    """`upload`, refused if larger than `ENGAGE_DOCUMENT_MAX_BYTES`: from the size Django
    counted while receiving it, before anything reads it whole into the process's memory."""
    limit = settings.ENGAGE_DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit // 2**20})
    return upload
