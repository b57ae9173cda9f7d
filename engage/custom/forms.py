"""The organisation's own fields on the process forms, and the admin's forms to define them.

`add_custom_fields` adds the fields to a built form (named `custom_<key>`), after the built-in
field each one names, so they validate and show their errors exactly like the form's own. A
field shown only when another has a given answer carries data attributes for engage.js; the
server applies the same condition: a hidden field is neither required nor saved.
"""

import copy
from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import BaseForm
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from engage.accounts.models import Organisation, User
from engage.cases import extra_fields
from engage.cases import forms as case_forms
from engage.cases.models import Case
from engage.custom import reading, services
from engage.custom.models import CHOICE_TYPES, CustomField, FieldType, Form
from engage.lib.translations import TranslationsFormMixin

# The built form of each form of the process.
PROCESS_FORMS: "dict[str, type[forms.Form] | type[forms.ModelForm[Any]]]" = {
    Form.REFERRAL: case_forms.ReferralForm,
    Form.FIRST_MEETING: case_forms.FirstMeetingForm,
    Form.SCREENING: case_forms.ScreeningForm,
    Form.ASSESSMENT: case_forms.AssessmentForm,
    Form.CONTACT: case_forms.ContactForm,
    Form.GOAL: case_forms.GoalForm,
    Form.CLOSURE: case_forms.ClosureForm,
}


def built_in_fields(form: str) -> list[tuple[str, str]]:
    """The visible built-in fields of a process form: (name, label) in their order."""
    form_class = PROCESS_FORMS[form]
    return [
        (name, str(field.label or name))
        for name, field in form_class.base_fields.items()
        if not field.widget.is_hidden
    ]


class _Yes:
    """The answers of a yes/no field, as sent by the form."""

    YES, NO = "yes", "no"


def services_of(organisation: Organisation) -> list[tuple[str, str]]:
    """The directory's services as the choices of a service field: (id, name)."""
    from engage.directory.models import Service

    rows = Service.objects.filter(organisation=organisation).order_by("name")
    return [(str(pk), name) for pk, name in rows.values_list("pk", "name")]


def form_field(
    field: CustomField,
    *,
    organisation: Organisation,
    current: Any = None,
    service_choices: list[tuple[str, str]] | None = None,
) -> forms.Field:
    """The Django form field for `field`; `current` is the stored value (kept valid even when
    its option was retired since). `service_choices`, when given, saves a query per field."""
    help_text = field.shown_help_text
    if field.condition_field_id is not None and field.condition_field is not None:
        condition = field.condition_field
        help_text = " ".join(
            part
            for part in (
                help_text,
                _("Only when “%(field)s” is “%(value)s”.")
                % {
                    "field": condition.shown_label,
                    "value": services.display(condition, _condition_data(condition, field)),
                },
            )
            if part
        )
    common: dict[str, Any] = {
        "label": field.shown_label,
        "required": field.required,
        "help_text": help_text,
    }
    kind = field.type
    made: forms.Field
    if kind == FieldType.SHORT_TEXT:
        made = forms.CharField(max_length=200, **common)
    elif kind == FieldType.LONG_TEXT:
        made = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    elif kind == FieldType.NUMBER:
        made = forms.DecimalField(
            max_digits=14,
            decimal_places=2,
            widget=forms.NumberInput(attrs={"step": "any"}),
            **common,
        )
        if field.min_value is not None:
            made.validators.append(MinValueValidator(field.min_value))
            made.widget.attrs["min"] = str(field.min_value)
        if field.max_value is not None:
            made.validators.append(MaxValueValidator(field.max_value))
            made.widget.attrs["max"] = str(field.max_value)
    elif kind == FieldType.DATE:
        made = forms.DateField(widget=case_forms.DateInput(), **common)
    elif kind == FieldType.YES_NO:
        made = forms.ChoiceField(
            choices=[(_Yes.YES, _("Yes")), (_Yes.NO, _("No"))],
            widget=forms.RadioSelect,
            **common,
        )
    elif kind in CHOICE_TYPES:
        kept = set(current if isinstance(current, list) else [current] if current else [])
        choices = [
            (option.key, option.shown_label)
            for option in field.options.all()
            if not option.retired or option.key in kept
        ]
        if kind == FieldType.CHOICE and len(choices) <= 6:
            made = forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        elif kind == FieldType.CHOICE:
            made = forms.ChoiceField(choices=[("", "—"), *choices], **common)
        else:
            made = forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
    elif kind == FieldType.SERVICE:
        if service_choices is None:
            service_choices = services_of(organisation)
        made = forms.ChoiceField(choices=[("", "—"), *service_choices], **common)
    else:  # pragma: no cover - every type is listed above
        raise ValueError(kind)
    if field.condition_field_id is not None and field.condition_field is not None:
        made.widget.attrs["data-custom-when"] = field.condition_field.form_name
        made.widget.attrs["data-custom-value"] = field.condition_value
    return made


def _condition_data(condition: CustomField, field: CustomField) -> Any:
    if condition.type == FieldType.YES_NO:
        return field.condition_value == _Yes.YES
    if condition.type == FieldType.CHOICES:
        return [field.condition_value]
    return field.condition_value


def _answers(value: Any) -> list[str]:
    """A cleaned value as the list of answers a condition compares with."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(each) for each in value]
    return [str(getattr(value, "pk", value))]


def condition_holds(
    field: CustomField, cleaned: Mapping[str, Any], shown: Mapping[str, bool]
) -> bool:
    """Whether `field` is shown given the answers of the form: no condition, or its condition
    field shown and answered with the condition's value."""
    condition = field.condition_field
    if condition is None:
        return True
    if not shown.get(condition.key, False):
        return False
    return field.condition_value in _answers(cleaned.get(condition.form_name))


def add_custom_fields(
    form: BaseForm,
    fields: list[CustomField],
    *,
    organisation: Organisation,
    values: Mapping[str, Any] | None = None,
) -> None:
    """Add `fields` to `form` after the built-in fields they name, with `values` {key: stored
    value} as their initial values, and enforce their conditions when the form is cleaned."""
    values = values or {}
    made = {}
    # One query for the directory, whatever the number of service fields.
    service_choices = (
        services_of(organisation)
        if any(field.type == FieldType.SERVICE for field in fields)
        else None
    )
    for field in fields:
        current = services.from_json(field, values.get(field.key))
        made[field.form_name] = form_field(
            field, organisation=organisation, current=current, service_choices=service_choices
        )
        if current is not None and field.form_name not in form.initial:
            form.initial[field.form_name] = current
    by_place: dict[str, list[CustomField]] = {}
    for field in fields:
        place = field.after if field.after in form.fields else ""
        by_place.setdefault(place, []).append(field)
    ordered: dict[str, forms.Field] = {}
    for name, built_in in form.fields.items():
        ordered[name] = built_in
        for field in by_place.get(name, []):
            ordered[field.form_name] = made[field.form_name]
    for field in by_place.get("", []):
        ordered[field.form_name] = made[field.form_name]
    form.fields = ordered
    form.custom_fields = {field.form_name: field for field in fields}  # type: ignore[attr-defined]
    form.extra_field_names = list(made)  # type: ignore[attr-defined]
    form.custom_cleaned = {}  # type: ignore[attr-defined]
    own_clean = form.clean

    def clean() -> Any:
        cleaned = own_clean()
        data = form.cleaned_data if cleaned is None else cleaned
        shown: dict[str, bool] = {}
        answers: dict[str, Any] = {}
        for field in fields:  # in order, so a condition's own condition is known first
            name = field.form_name
            shown[field.key] = condition_holds(field, data, shown)
            if not shown[field.key]:
                # Hidden: not required, and nothing kept of what it held.
                form.errors.pop(name, None)
                data.pop(name, None)
                answers[field.key] = None
            elif name in data:
                answers[field.key] = data[name]
        form.custom_cleaned = answers  # type: ignore[attr-defined]
        return data

    form.clean = clean  # type: ignore[method-assign]


class ProcessFormExtension:
    """What `engage.cases.extra_fields` calls: the organisation's fields on its forms."""

    def read_for_page(self, case: Case, user: User, form_names: list[str]) -> None:
        reading.read_for_page(case, user, form_names)

    def extend(
        self,
        form: BaseForm,
        form_name: str,
        *,
        organisation: Organisation,
        user: User,
        case: Case | None,
        record_id: str | None,
    ) -> None:
        fields = services.form_fields(organisation, form_name, for_user=user, case=case)
        if not fields:
            return
        stored = {}
        if case is not None and record_id is not None:
            stored = {
                key: value.data
                for key, value in services.values_for(case, form_name, record_id).items()
            }
        add_custom_fields(form, fields, organisation=organisation, values=stored)

    def save(self, form: BaseForm, form_name: str, *, case: Case, record_id: str, by: User) -> None:
        answers = getattr(form, "custom_cleaned", None)
        if not answers:
            return
        fields = list(getattr(form, "custom_fields", {}).values())
        services.save_values(case, form_name, record_id, answers, by=by, fields=fields)


def preview_form(organisation: Organisation, form_name: str, user: User) -> BaseForm:
    """The form as staff see it: its built-in fields and the organisation's own."""
    form_class = PROCESS_FORMS[form_name]
    preview = forms.Form(prefix="preview")
    preview.fields = {
        name: copy.deepcopy(field)
        for name, field in form_class.base_fields.items()
        if not field.widget.is_hidden
    }
    # A list of records (the case managers, the cities) offers the organisation's own: the
    # class's own fields list every organisation's, which the real form narrows when it is made
    # (the preview listed the whole network's staff and cities).
    for field in preview.fields.values():
        if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
            listed = field.queryset
            own = any(f.name == "organisation" for f in listed.model._meta.concrete_fields)
            field.queryset = listed.filter(organisation=organisation) if own else listed.none()
    fields = services.form_fields(organisation, form_name)
    add_custom_fields(preview, fields, organisation=organisation)
    return preview


# The admin's forms


class FieldForm(TranslationsFormMixin, forms.Form):
    """A field's definition, with its label and help in each language of the organisation."""

    translated_field = "label"

    label = forms.CharField(label=gettext_lazy("Label"), max_length=200)
    help_text = forms.CharField(
        label=gettext_lazy("Help text"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=FieldType.choices)
    key = forms.SlugField(
        label=gettext_lazy("Key"),
        max_length=40,
        required=False,
        help_text=gettext_lazy(
            "A short name that never changes, used in the API and in files (letters, digits "
            "and underscores). Left empty, it is made from the label."
        ),
    )
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False)
    after = forms.ChoiceField(label=gettext_lazy("Place on the form"), required=False)
    min_value = forms.DecimalField(
        label=gettext_lazy("Smallest number"), required=False, max_digits=12, decimal_places=2
    )
    max_value = forms.DecimalField(
        label=gettext_lazy("Largest number"), required=False, max_digits=12, decimal_places=2
    )
    options = forms.CharField(
        label=gettext_lazy("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "For a choice field: one option per line. Options are kept, ordered and retired "
            "on the field's page afterwards."
        ),
    )
    condition_field = forms.ChoiceField(label=gettext_lazy("Shown only when"), required=False)
    condition_value = forms.CharField(
        label=gettext_lazy("has the answer"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "For a yes or no question: yes or no. For a choice field: the key of the option."
        ),
    )
    sensitive = forms.BooleanField(
        label=gettext_lazy("Sensitive"),
        required=False,
        help_text=gettext_lazy("Shown only to the case's own case manager and their supervisor."),
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        form_name: str,
        field: CustomField | None = None,
        **kwargs: Any,
    ) -> None:
        if field is not None:
            kwargs.setdefault(
                "initial",
                {
                    "label": field.label,
                    "help_text": field.help_text,
                    "type": field.type,
                    "key": field.key,
                    "required": field.required,
                    "after": field.after,
                    "min_value": field.min_value,
                    "max_value": field.max_value,
                    "condition_field": field.condition_field_id or "",
                    "condition_value": field.condition_value,
                    "sensitive": field.sensitive,
                },
            )
        super().__init__(*args, **kwargs)
        self.field = field
        after = cast(forms.ChoiceField, self.fields["after"])
        condition_field = cast(forms.ChoiceField, self.fields["condition_field"])
        after.choices = [
            ("", _("At the end of the form")),
            *[
                (name, _("After “%(label)s”") % {"label": label})
                for name, label in built_in_fields(form_name)
            ],
        ]
        others = services.form_fields(organisation, form_name)
        self.conditions = {
            str(other.pk): other
            for other in others
            if (field is None or other.pk != field.pk)
            and other.type in (FieldType.YES_NO, *CHOICE_TYPES)
        }
        condition_field.choices = [
            ("", _("Always shown")),
            *[(pk, other.shown_label) for pk, other in self.conditions.items()],
        ]
        self.add_translation_fields(organisation, field.label_translations if field else None)
        help_existing = field.help_text_translations if field else {}
        self.help_names: list[tuple[str, str]] = []
        for code, _name in self.translation_names:
            name = f"help_text_{code}"
            self.fields[name] = forms.CharField(
                label=_("Help text in %(language)s")
                % {"language": get_language_info(code)["name_translated"]},
                required=False,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2, "lang": code}),
                initial=(help_existing or {}).get(code, ""),
            )
            self.help_names.append((code, name))
        if field is not None:
            del self.fields["options"]
            # The version the admin started from (lib.concurrency): a form, not a model form.
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=1, initial=field.version
            )
            if services.has_values(field):
                self.fields["type"].disabled = True
                self.fields["type"].help_text = _(
                    "This field has answers: its type can no longer change."
                )
                self.fields["key"].disabled = True

    def settings(self) -> dict[str, Any]:
        """The cleaned definition as `services.define_field` and `update_field` take it."""
        data = self.cleaned_data
        chosen = data.get("condition_field") or ""
        from engage.lib.translations import clean_translations

        return {
            "label": data["label"],
            "label_translations": self.translations(),
            "help_text": data.get("help_text", ""),
            "help_text_translations": clean_translations(
                {code: data.get(name, "") for code, name in self.help_names}
            ),
            "required": data.get("required", False),
            "after": data.get("after", ""),
            "min_value": data.get("min_value"),
            "max_value": data.get("max_value"),
            "condition_field": self.conditions.get(chosen),
            "condition_value": data.get("condition_value", "").strip(),
            "sensitive": data.get("sensitive", False),
        }

    def option_labels(self) -> list[str]:
        text = self.cleaned_data.get("options") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class OptionForm(TranslationsFormMixin, forms.Form):
    """An answer of a choice field, in each language of the organisation."""

    label = forms.CharField(label=gettext_lazy("Option"), max_length=200)

    translated_field = "label"

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        existing: Mapping[str, str] | None = None,
        version: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_translation_fields(organisation, existing)
        if version is not None:
            # An option renamed: the version the admin started from (lib.concurrency).
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=1, initial=version
            )


def extend_process_form(form: BaseForm, form_name: str, **kwargs: Any) -> BaseForm:
    """`cases.extra_fields.extend`, for the API and the import (the same fields and rules)."""
    return extra_fields.extend(form, form_name, **kwargs)  # type: ignore[no-any-return]
