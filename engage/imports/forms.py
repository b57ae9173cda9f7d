from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms import BoundField
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import City, Organisation
from engage.cases.forms import case_managers_of
from engage.cases.models.person import Nationalities
from engage.imports import extra
from engage.imports import fields as F
from engage.imports.models import SavedMapping
from engage.imports.validation import Mapping
from engage.lib.forms import small_enough

IGNORE = ""


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("CSV (comma or semicolon separated, UTF-8 or Windows) or XLSX, first sheet."),
    )
    saved_mapping: "forms.ModelChoiceField[SavedMapping]" = forms.ModelChoiceField(
        label=_("Use a saved mapping"),
        queryset=SavedMapping.objects.none(),
        required=False,
        empty_label=_("No, guess from the headers"),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        saved = cast("forms.ModelChoiceField[SavedMapping]", self.fields["saved_mapping"])
        saved.queryset = SavedMapping.objects.filter(organisation=organisation)

    def clean_file(self) -> UploadedFile:
        return small_enough(self.cleaned_data["file"])


def _field_choices(organisation: Organisation) -> list[tuple[str, str | Promise]]:
    own = [spec for columns in extra.columns_of(organisation) for spec in columns.specs]
    return [(IGNORE, _("— ignore this column —"))] + [
        (spec.name, f"{spec.label}{' *' if spec.required else ''}") for spec in [*F.FIELDS, *own]
    ]


class MappingForm(forms.Form):
    """One select per column of the file, the date order, and values for every row."""

    day_first = forms.TypedChoiceField(
        label=_("Dates like 03/04/2024 are"),
        choices=[
            ("1", _("day first: 3 April 2024 (DD/MM/YYYY)")),
            ("0", _("month first: 4 March 2024 (MM/DD/YYYY)")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    save_as = forms.CharField(
        label=_("Save this mapping as"),
        max_length=100,
        required=False,
        help_text=_("Give it a name to reuse it for the next file of the same shape."),
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        mapping: Mapping,
        organisation: Organisation,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.fields["day_first"].initial = "1" if mapping.day_first else "0"
        self.column_names: list[str] = []
        choices = _field_choices(organisation)
        for index, header in enumerate(headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=mapping.columns.get(header, IGNORE),
            )
            self.column_names.append(name)
        self.default_names: list[str] = []
        for field_name in F.DEFAULTABLE:
            spec = F.BY_NAME[field_name]
            name = f"default_{field_name}"
            label = _("%(field)s, when the file has no value") % {"field": spec.label}
            initial = mapping.defaults.get(field_name, "")
            field: forms.Field
            if spec.kind == F.CHOICE:
                field = forms.ChoiceField(
                    label=label, choices=[("", "—"), *spec.choice_class.choices], required=False
                )
            elif spec.kind == F.STAFF:
                field = forms.ChoiceField(
                    label=label,
                    choices=[("", "—")]
                    + [(str(u.pk), u.get_full_name()) for u in case_managers_of(organisation)],
                    required=False,
                )
            elif spec.kind == F.CITY:
                cities = list(City.objects.filter(organisation=organisation).order_by("name"))
                field = forms.ChoiceField(
                    label=label,
                    choices=[("", "—")] + [(str(c.pk), c.name) for c in cities],
                    required=False,
                )
                if not initial and len(cities) == 1:
                    initial = str(cities[0].pk)
            else:
                field = forms.CharField(label=label, max_length=spec.max_length, required=False)
            field.initial = initial
            self.fields[name] = field
            self.default_names.append(name)

    def columns(self) -> list[BoundField]:
        return [self[name] for name in self.column_names]

    def defaults(self) -> list[BoundField]:
        return [self[name] for name in self.default_names]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        chosen: dict[str, str] = {}
        for index, name in enumerate(self.column_names):
            value = data.get(name)
            if not value:
                continue
            if value in chosen:
                self.add_error(
                    name,
                    _("“%(other)s” is already mapped to this field.") % {"other": chosen[value]},
                )
            chosen[value] = self.headers[index]
        return data

    def mapping(self, values: dict[str, Any] | None = None) -> Mapping:
        data = self.cleaned_data
        return Mapping(
            columns={
                self.headers[index]: data[name]
                for index, name in enumerate(self.column_names)
                if data.get(name)
            },
            values=values or {},
            defaults={
                name.removeprefix("default_"): data[name]
                for name in self.default_names
                if data.get(name)
            },
            day_first=data["day_first"],
        )


class ValuesForm(forms.Form):
    """A select for each word of the file that Engage did not recognise."""

    def __init__(self, *args: Any, unknown: dict[str, list[str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.words: dict[str, tuple[str, str]] = {}
        for field_name, words in unknown.items():
            spec = F.BY_NAME[field_name]
            choices = (
                list(spec.choice_class.choices) if spec.kind == F.CHOICE else list(Nationalities())
            )
            for word in words[:50]:
                name = f"value_{len(self.words)}"
                self.fields[name] = forms.ChoiceField(
                    label=f"{spec.label}: “{word}”",
                    choices=[("", _("— leave it: the row stays refused —")), *choices],
                    required=False,
                )
                self.words[name] = (field_name, word)

    def values(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for name, (field_name, word) in self.words.items():
            if self.cleaned_data.get(name):
                found.setdefault(field_name, {})[word] = self.cleaned_data[name]
        return found


class DuplicatesForm(forms.Form):
    def __init__(self, *args: Any, duplicates: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for duplicate in duplicates:
            self.fields[f"line_{duplicate['line']}"] = forms.ChoiceField(
                label=_("Row %(line)s") % {"line": duplicate["line"]},
                choices=[
                    ("skip", _("Skip this row")),
                    ("import", _("Import it anyway, as a new client")),
                ],
                widget=forms.RadioSelect,
                required=False,
                initial=duplicate.get("decision") or None,
            )

    def decisions(self) -> dict[str, str]:
        return {
            name.removeprefix("line_"): value for name, value in self.cleaned_data.items() if value
        }
