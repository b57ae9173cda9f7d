"""The organisation's own fields (engage.custom) in the API.

Each record that a process form writes carries its answers under `custom`, {field key: value}:
the case (the referral form), contacts, assessments, closures and goals. A write may send
`custom` too; it is checked by the very form fields the web pages use (`custom.forms`), so the
messages are the same, and refused with 400 naming the field (`custom.<key>`) for an unknown
key, a field the caller may not see (sensitive) or an invalid value. The schema describes, for
the caller's organisation, each field under `custom` with its type (`describe_custom_fields`).
"""

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.db.models import Model
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from engage.accounts.models import User
from engage.cases.models import Case
from engage.custom.forms import add_custom_fields
from engage.custom.models import CustomField, FieldType
from engage.custom.reading import answers, api_value, by_record
from engage.custom.services import form_fields, from_json, save_values, values_for
from engage.lib.scoping import organisation_scope

MARKER = "x-engage-custom"


class CustomAnswersField(serializers.Field):
    """The answers of one record, read: {key: value}; sensitive ones for the case's own case
    manager and their supervisor only. One query per case however many records are listed."""

    def __init__(self, form: str, case_of: Callable[[Any], Case], **kwargs: Any) -> None:
        kwargs.update(source="*", read_only=True)
        kwargs.setdefault(
            "help_text", "The organisation's own fields of this form, by key (see the schema)."
        )
        super().__init__(**kwargs)
        self.form = form
        self.case_of = case_of

    def to_representation(self, value: Any) -> dict[str, Any]:
        request = self.context.get("request")
        if request is None or not getattr(request.user, "is_authenticated", False):
            return {}
        case = self.case_of(value)
        # The context is the root serializer's: one load per case for a whole list.
        loaded = self.context.setdefault("_custom_answers", {})
        if case.pk not in loaded:
            loaded[case.pk] = by_record(answers(case, request.user))
        record_id = str(case.pk if isinstance(value, Case) else value.pk)
        return {
            answer.key: api_value(answer)
            for answer in loaded[case.pk].get(record_id, [])
            if answer.form == self.form
        }


class CustomInputField(serializers.DictField):
    """The answers sent with a write: {key: value}, checked in `clean` by the view."""

    def __init__(self, form: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("write_only", True)
        kwargs.setdefault(
            "help_text", "Answers to the organisation's own fields of this form, by key."
        )
        super().__init__(child=serializers.JSONField(), **kwargs)
        self.form = form


class _CustomSchema(OpenApiSerializerFieldExtension):
    """A marker that `describe_custom_fields` replaces with the organisation's fields."""

    target_class: type[serializers.Field] = CustomAnswersField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {"type": "object", MARKER: self.target.form}


class _CustomInputSchema(_CustomSchema):
    target_class = CustomInputField


def clean(
    raw: Mapping[str, Any] | None,
    *,
    user: User,
    form: str,
    case: Case | None,
    record_id: object = None,
) -> dict[str, Any]:
    """Check the answers sent for one record; return them cleaned for `save_values`.

    A new record (no `record_id`) is checked like a new web form: a required field left out is
    refused. A change of an existing record keeps the stored answers not sent.
    """
    organisation = user.organisation
    if organisation is None:  # the network coordinator holds no case: nothing to answer
        raise ValidationError({"custom": [_("There is no such field on this form.")]})
    fields = form_fields(organisation, form, for_user=user, case=case)
    sent = dict(raw or {})
    errors: dict[str, list[str]] = {}
    known = {field.key: field for field in fields}
    for key in sorted(set(sent) - set(known)):
        errors[f"custom.{key}"] = [_("There is no such field on this form.")]
    for key in sorted(set(sent) & set(known)):
        if not _of_its_shape(known[key], sent[key]):
            errors[f"custom.{key}"] = [_("Enter a valid value.")]
    if errors:
        raise ValidationError(errors)
    if not fields:
        return {}
    data: dict[str, Any] = {}
    if case is not None and record_id is not None:
        for key, stored in values_for(case, form, record_id).items():
            if key in known:
                data[known[key].form_name] = _as_input(
                    known[key], from_json(known[key], stored.data)
                )
    for key, value in sent.items():
        data[known[key].form_name] = _as_input(known[key], value)
    checked = forms.Form(data=data)
    add_custom_fields(checked, fields, organisation=organisation)
    if not checked.is_valid():
        raise ValidationError(
            {
                f"custom.{name.removeprefix('custom_')}": [str(m) for m in messages]
                for name, messages in checked.errors.items()
            }
        )
    cleaned: dict[str, Any] = checked.custom_cleaned  # type: ignore[attr-defined]
    if record_id is not None:  # a change: only what was sent
        return {key: value for key, value in cleaned.items() if key in sent}
    return cleaned


def _of_its_shape(field: CustomField, value: Any) -> bool:
    """Whether a JSON answer is one value, or a list of them for several choices: a form sends
    nothing else. A date field's form field fails on anything but a string (a server error),
    and a text field took `[1]` as the text "[1]"."""
    if isinstance(value, dict):
        return False
    if isinstance(value, list):
        return field.type == FieldType.CHOICES and not any(
            isinstance(each, dict | list) for each in value
        )
    return True


def _as_input(field: CustomField, value: Any) -> Any:
    """A JSON answer as the web form sends it (of its shape: `_of_its_shape`)."""
    if value is None:
        return ""
    if field.type == FieldType.YES_NO:
        if value in (True, "yes"):
            return "yes"
        if value in (False, "no"):
            return "no"
        return str(value)
    if field.type == FieldType.CHOICES:
        return [str(each) for each in value] if isinstance(value, list) else value
    return str(value)


def save(
    case: Case, form: str, record: Model | Case, answers_: dict[str, Any], *, by: User
) -> None:
    """Store the cleaned answers of `record` (inside the transaction of its service)."""
    if answers_:
        save_values(case, form, record.pk, answers_, by=by)


# The schema


def _property(field: CustomField, *, request: bool) -> dict[str, Any]:
    options = [o.key for o in field.options.all() if not (request and o.retired)]
    kind = field.type
    schema: dict[str, Any]
    if kind == FieldType.NUMBER:
        schema = {"type": "number"}
        if field.min_value is not None:
            schema["minimum"] = float(field.min_value)
        if field.max_value is not None:
            schema["maximum"] = float(field.max_value)
    elif kind == FieldType.DATE:
        schema = {"type": "string", "format": "date"}
    elif kind == FieldType.YES_NO:
        schema = {"type": "boolean"}
    elif kind == FieldType.CHOICE:
        schema = {"type": "string", "enum": options}
    elif kind == FieldType.CHOICES:
        schema = {"type": "array", "items": {"type": "string", "enum": options}}
    elif kind == FieldType.SERVICE:
        schema = {"type": "string", "format": "uuid"}
    else:
        schema = {"type": "string", "maxLength": 200 if kind == FieldType.SHORT_TEXT else 4000}
    notes = [f"{field.get_type_display()}."]
    if field.required and request:
        notes.append("Required on a new record.")
    if field.sensitive:
        notes.append(
            "Sensitive: read and written by the case's own case manager and supervisor only."
        )
    if field.is_retired:
        notes.append("Retired: no longer asked; kept on the records that have it.")
    if field.help_text:
        notes.append(field.help_text)
    schema.update(title=field.label, description=" ".join(notes), nullable=True)
    return schema


def describe_custom_fields(result, generator, request, public):  # type: ignore[no-untyped-def]
    """Fill each `custom` object of the schema with the fields of the caller's organisation."""
    user = getattr(request, "user", None)
    organisation_id = getattr(user, "organisation_id", None)
    fields: list[CustomField] = []
    if organisation_id is not None:
        with organisation_scope(organisation_id):
            fields = list(
                CustomField.objects.filter(organisation_id=organisation_id)
                .prefetch_related("options")
                .order_by("form", "position", "label")
            )
    for name, component in result.get("components", {}).get("schemas", {}).items():
        for prop in component.get("properties", {}).values():
            form = prop.pop(MARKER, None)
            if form is None:
                continue
            is_request = name.endswith("Request")
            of_form = [f for f in fields if f.form == form and not (is_request and f.is_retired)]
            prop["properties"] = {f.key: _property(f, request=is_request) for f in of_form}
            prop["additionalProperties"] = False
    return result
