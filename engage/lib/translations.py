"""Text an organisation writes, in several languages (issue 12, item 4).

A model keeps its text as written (the original) and a JSON field `translations`, {language
code: text}. The form offers one field per language of the organisation; the page shows the
viewer's language, and the original when that language has no text.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

# The languages of the network's countries; English is always offered.
COUNTRY_LANGUAGES = {
    "BE": ("fr", "nl"),
    "BG": ("bg",),
    "CY": ("el",),
    "GR": ("el",),
    "IT": ("it",),
    "PL": ("pl",),
    "FR": ("fr",),
    "NL": ("nl",),
}


class Multilingual(Protocol):
    """What is read of an organisation (`accounts.Organisation`, a layer above this module)."""

    @property
    def country(self) -> object: ...

    @property
    def members(self) -> models.Manager[Any]: ...


def organisation_languages(organisation: Multilingual) -> list[str]:
    """English, the languages of the organisation's country and those its staff chose."""
    wanted = {"en", *COUNTRY_LANGUAGES.get(str(organisation.country), ())}
    wanted |= set(
        organisation.members.exclude(language="").values_list("language", flat=True).distinct()
    )
    return [code for code, _name in settings.LANGUAGES if code in wanted]


def translations_field() -> models.JSONField:
    """The model field that holds a text's other languages, {language code: text}."""
    return models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        db_default=models.Value({}, output_field=models.JSONField()),
        help_text=_("The text in other languages, by language code (engage/lib/translations.py)."),
    )


def in_language(
    original: str, translations: Mapping[str, str] | None, language: str | None = None
) -> str:
    """The text in `language` (the active language by default), or the original."""
    language = (language or get_language() or "").split("-")[0]
    text = (translations or {}).get(language) or ""
    return text if text.strip() else original


def clean_translations(values: Mapping[str, object] | None) -> dict[str, str]:
    """Keep the known languages with some text, stripped."""
    known = dict(settings.LANGUAGES)
    return {
        code: str(text).strip()
        for code, text in (values or {}).items()
        if code in known and str(text).strip()
    }


class TranslationsFormMixin:
    """Add a field per language of the organisation for `translated_field`; the form's
    `translations()` gives them back as a dict. The subclass sets `translated_field` and
    calls `add_translation_fields(organisation, existing)` from its __init__."""

    translated_field = "text"
    translation_names: list[tuple[str, str]]

    if TYPE_CHECKING:  # given by the form class it is mixed into
        fields: dict[str, forms.Field]
        cleaned_data: dict[str, Any]

    def add_translation_fields(
        self,
        organisation: Multilingual,
        existing: Mapping[str, str] | None = None,
        *,
        textarea: bool = False,
    ) -> None:
        existing = existing or {}
        source = self.fields[self.translated_field]
        self.translation_names = []
        for code in organisation_languages(organisation):
            name = f"{self.translated_field}_{code}"
            widget = forms.Textarea(attrs={"rows": 6, "lang": code}) if textarea else None
            field = forms.CharField(
                # The language named in the reader's (an Italian page said "Etichetta in English").
                label=_("%(field)s in %(language)s")
                % {"field": source.label, "language": get_language_info(code)["name_translated"]},
                required=False,
                max_length=getattr(source, "max_length", None),
                widget=widget or forms.TextInput(attrs={"lang": code}),
                initial=existing.get(code, ""),
                help_text=_("Optional. Shown to those who use Engage in this language."),
            )
            self.fields[name] = field
            self.translation_names.append((code, name))

    def translations(self) -> dict[str, str]:
        return clean_translations(
            {code: self.cleaned_data.get(name, "") for code, name in self.translation_names}
        )
