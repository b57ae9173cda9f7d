"""The organisation's own referral fields as columns of the spreadsheet import.

Registered with `engage.imports.extra` (imports sits below this app): each field of the
referral form in use is a field a column can be mapped to (`custom.<key>`), guessed from a
header that is its label or key. A row's cells are checked together by the web form's own
fields (`forms.add_custom_fields`), so the messages and the conditions are the same; dates are
read as the rest of the file (ISO, day or month first, Excel dates), a yes/no from the usual
words, an option from its key or label in any of its languages, several options separated by
`;`, a service from its name. The answers are stored with the new cases, in the import's
transaction, in bulk.
"""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from engage.accounts.models import Organisation, User
from engage.cases.models import Case
from engage.custom.forms import add_custom_fields
from engage.custom.models import CustomField, CustomValue, FieldType, Form
from engage.custom.services import (
    form_fields,
    lock_answered_fields,
    organisation_language,
    to_json,
)
from engage.imports.extra import PREFIX
from engage.imports.fields import TEXT, ImportField, header_key
from engage.imports.values import BadValue, cell_text, parse_date
from engage.lib.translations import in_language

# The usual words for yes and no in the network's languages, as `header_key` leaves them
# (lower case, no accents); Greek and Cyrillic written with escapes for the linter.
YES = {
    "yes",
    "y",
    "true",
    "1",
    "oui",
    "o",
    "ja",
    "da",
    "si",
    "tak",
    "\u03bd\u03b1\u03b9",
    "\u0434\u0430",
}
NO = {
    "no",
    "n",
    "false",
    "0",
    "non",
    "nee",
    "nein",
    "ne",
    "nie",
    "\u03bf\u03c7\u03b9",
    "\u043d\u0435",
}


class ReferralColumns:
    """The referral form's own fields of one organisation, for one file."""

    def __init__(self, organisation: Organisation) -> None:
        self.organisation = organisation
        self.fields = {
            PREFIX + field.key: field for field in form_fields(organisation, Form.REFERRAL)
        }
        self.specs = [
            ImportField(
                name,
                field.shown_label,
                TEXT,
                "custom",
                required=field.required,
                headers=(header_key(field.label), header_key(field.key)),
            )
            for name, field in self.fields.items()
        ]
        self.options = {
            name: _option_words(field) for name, field in self.fields.items() if field.has_choices
        }
        self.services: dict[str, str] = {}
        self.service_names: dict[str, str] = {}
        if any(field.type == FieldType.SERVICE for field in self.fields.values()):
            from engage.directory.models import Service

            for pk, service_name in Service.objects.filter(organisation=organisation).values_list(
                "pk", "name"
            ):
                self.services[header_key(service_name)] = str(pk)
                self.services[str(pk)] = str(pk)
                self.service_names[str(pk)] = service_name

    def check(
        self, cells: dict[str, Any], *, day_first: bool
    ) -> tuple[dict[str, Any], dict[str, str]]:
        problems: dict[str, str] = {}
        data: dict[str, Any] = {}
        fields = [field for name, field in self.fields.items() if name in cells]
        for name, raw in cells.items():
            field = self.fields[name]
            try:
                data[field.form_name] = self._as_input(name, field, raw, day_first)
            except BadValue as error:
                problems[name] = str(error)
        checked = forms.Form(data=data)
        add_custom_fields(checked, fields, organisation=self.organisation)
        if not checked.is_valid():
            for form_name, messages in checked.errors.items():
                name = PREFIX + form_name.removeprefix("custom_")
                problems.setdefault(name, " ".join(str(m) for m in messages))
        if problems:
            return {}, problems
        answers = checked.custom_cleaned  # type: ignore[attr-defined]
        return {
            PREFIX + key: value for key, value in answers.items() if value not in (None, "", [])
        }, {}

    def _as_input(self, name: str, field: CustomField, raw: Any, day_first: bool) -> Any:
        text = cell_text(raw)
        if not text:
            return ""
        if field.type == FieldType.DATE:
            found = parse_date(raw if not isinstance(raw, str) else text, day_first=day_first)
            return found.isoformat() if found else ""
        if field.type == FieldType.YES_NO:
            word = header_key(text)
            return "yes" if word in YES else "no" if word in NO else text
        if field.type == FieldType.CHOICE:
            return self.options[name].get(header_key(text), text)
        if field.type == FieldType.CHOICES:
            words = [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]
            return [self.options[name].get(header_key(word), word) for word in words]
        if field.type == FieldType.SERVICE:
            return self.services.get(header_key(text), text)
        return text

    def show(self, name: str, value: Any) -> str:
        field = self.fields[name]
        if field.type == FieldType.YES_NO:
            return _("Yes") if value in (True, "yes") else _("No")
        if field.has_choices:
            labels = {option.key: option.shown_label for option in field.options.all()}
            keys = value if isinstance(value, list) else [value]
            return ", ".join(str(labels.get(key, key)) for key in keys)
        if field.type == FieldType.SERVICE:
            return self.service_names.get(str(value), str(value))
        return str(getattr(value, "isoformat", lambda: value)())


def _option_words(field: CustomField) -> dict[str, str]:
    """Every way a cell may name an option: its key, its label in every language."""
    words: dict[str, str] = {}
    for option in field.options.all():
        for word in (option.key, option.label, *option.label_translations.values()):
            if word:
                words[header_key(word)] = option.key
    return words


class ImportProvider:
    """What `engage.imports.extra` calls."""

    def columns(self, organisation: Organisation) -> ReferralColumns | None:
        columns = ReferralColumns(organisation)
        return columns if columns.specs else None

    def store(
        self,
        organisation: Organisation,
        cases: Sequence[Case],
        values: Sequence[dict[str, Any]],
        *,
        by: User | None,
    ) -> None:
        if by is None:
            # Every answer records who gave it; the command line is nobody.
            raise ValidationError(
                _(
                    "Answers to the organisation's own fields are imported from the web page "
                    "only: map those columns to “ignore” on the command line."
                )
            )
        fields = {PREFIX + field.key: field for field in form_fields(organisation, Form.REFERRAL)}
        language = organisation_language(organisation)
        rows = [
            CustomValue(
                case=case,
                field=fields[name],
                record_id=str(case.pk),
                value=to_json(fields[name], value),
                label_at_entry=in_language(
                    fields[name].label, fields[name].label_translations, language
                ),
                updated_by=by,
            )
            for case, answers in zip(cases, values, strict=True)
            for name, value in answers.items()
        ]
        lock_answered_fields([row.field for row in rows])
        CustomValue.objects.bulk_create(rows, batch_size=500)
