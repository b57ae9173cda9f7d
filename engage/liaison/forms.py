from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation
from engage.cases.forms import DateInput
from engage.cases.models import Case
from engage.liaison import letters
from engage.liaison.models import (
    AUTHORITY_TYPES,
    Letter,
    LetterTemplate,
    LiaisonRecord,
    ReportingEvent,
    ReportingObligation,
)
from engage.liaison.services import OBLIGATION_FIELDS
from engage.lib.concurrency import VersionedFormMixin
from engage.lib.translations import TranslationsFormMixin
from engage.sharing.models import Category, Recipient

DISCLOSE_NOTHING = "none"
DISCLOSE_DATA = "share"


def _authorities(case: Case) -> QuerySet[Recipient]:
    return Recipient.objects.filter(
        organisation_id=case.organisation_id, type__in=AUTHORITY_TYPES, active=True
    )


class LiaisonForm(forms.Form):
    """An exchange with an authority, and what, if anything, it disclosed of the client."""

    kind = forms.ChoiceField(label=_("Kind"), choices=LiaisonRecord.Kind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    authority = forms.ModelChoiceField(
        label=_("Authority"),
        queryset=Recipient.objects.none(),
        help_text=_("The organisation admin adds authorities on the Recipients page."),
    )
    officer = forms.CharField(
        label=_("Officer or department"),
        required=False,
        max_length=200,
        help_text=_("The front-line officer or department you dealt with, if it helps."),
    )
    summary = forms.CharField(
        label=_("What was asked or said"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Keep it short: the request and the arguments, not the client's story."),
    )
    letter: "forms.ModelChoiceField[Letter]" = forms.ModelChoiceField(
        label=_("Letter or report sent"),
        queryset=Letter.objects.none(),
        required=False,
        help_text=_("A letter drafted for this case. Sending it discloses what it contains."),
    )
    disclosure = forms.ChoiceField(
        label=_("What the authority was told about the client"),
        widget=forms.RadioSelect,
        choices=[
            (DISCLOSE_DATA, _("Some of the client's data (needs their consent)")),
            (DISCLOSE_NOTHING, _("Nothing identifying")),
        ],
    )
    categories = forms.MultipleChoiceField(
        label=_("Data disclosed"),
        required=False,
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what the authority needs, and only what the client agreed to."),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=LiaisonRecord.Outcome.choices,
        initial=LiaisonRecord.Outcome.PENDING,
    )
    outcome_note = forms.CharField(
        label=_("Outcome note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on"),
        required=False,
        widget=DateInput(),
        help_text=_("When to chase the answer, if one is expected."),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        authority = cast("forms.ModelChoiceField[Recipient]", self.fields["authority"])
        authority.queryset = _authorities(case)
        letter = cast("forms.ModelChoiceField[Letter]", self.fields["letter"])
        letter.queryset = Letter.objects.filter(case=case).select_related("document")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("disclosure") == DISCLOSE_DATA and not data.get("categories"):
            self.add_error("categories", _("Tick the data disclosed, or say nothing was."))
        if data.get("disclosure") == DISCLOSE_NOTHING:
            data["categories"] = []
            if data.get("letter"):
                self.add_error(
                    "disclosure",
                    _("A letter about the client discloses their data: tick what it contains."),
                )
        return data


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=LiaisonRecord.Outcome.choices)
    outcome_note = forms.CharField(
        label=_("Outcome note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up_on = forms.DateField(label=_("Follow up on"), required=False, widget=DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LetterTemplateForm(
    TranslationsFormMixin, VersionedFormMixin, forms.ModelForm[LetterTemplate]
):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    translated_field = "body"

    class Meta:
        model = LetterTemplate
        fields = ["name", "kind", "language", "body", "active"]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No longer than a letter may be (the model's column has no bound): a draft from a
        # longer one was refused by the draft's own limit, not laid out. The translations'
        # fields take the same bound from it.
        self.fields["body"] = cast(
            forms.CharField,
            LetterTemplate._meta.get_field("body").formfield(
                max_length=letters.MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 16})
            ),
        )
        existing = self.instance.translations if self.instance.pk else {}
        self.add_translation_fields(organisation, existing, textarea=True)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["translations"] = {
            code: text for code, text in self.translations().items() if code != data.get("language")
        }
        return data

    def validate_unique(self) -> None:
        # The service checks the name, case-insensitively.
        pass


class LetterDraftForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(label=_("Language of the letter"), choices=settings.LANGUAGES)
    text = forms.CharField(
        label=_("Text of the letter"),
        # As long as a model letter may be: the PDF is laid out in the request.
        max_length=letters.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_("Check every line: the PDF holds exactly this text."),
    )

    def __init__(self, *args: Any, from_template: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if from_template:
            # The letter is in the language its text was drafted in, chosen above the form
            # (choosing another drafts the text again): a second picker here only said the
            # same, or, changed alone, marked the PDF with a language its text was not in.
            self.fields["language"].widget = forms.HiddenInput()


class ObligationForm(VersionedFormMixin, forms.ModelForm[ReportingObligation]):
    class Meta:
        model = ReportingObligation
        fields = list(OBLIGATION_FIELDS)  # what the service saves
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        authority = cast("forms.ModelChoiceField[Recipient]", self.fields["authority"])
        authority.queryset = _authorities(case)
        authority.required = False


class ReportingEventForm(forms.Form):
    date = forms.DateField(label=_("Reporting day"), widget=DateInput())
    status = forms.ChoiceField(
        label=_("What happened"), choices=ReportingEvent.Status.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why it was missed or excused, in a few words."),
    )


class FollowUpForm(forms.Form):
    on = forms.DateField(label=_("Followed up on"), widget=DateInput())
    note = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
