from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation
from engage.cases.forms import DateInput
from engage.cases.models import Case
from engage.directory.models import ContactPerson, Referral, Service, ServiceType
from engage.directory.services import CONTACT_FIELDS, SERVICE_FIELDS
from engage.lib.concurrency import VersionedFormMixin
from engage.lib.translations import TranslationsFormMixin
from engage.sharing.models import Category


class DirectorySearchForm(forms.Form):
    WHOSE = (
        ("", _("Ours and the network's")),
        ("ours", _("Ours only")),
        ("network", _("Shared by others")),
    )

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any type")), *ServiceType.choices]
    )
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    language = forms.CharField(label=_("Language"), required=False, max_length=100)
    without_status = forms.BooleanField(
        label=_("Serves people without a legal status"), required=False
    )
    whose = forms.ChoiceField(label=_("Whose"), required=False, choices=WHOSE)
    inactive = forms.BooleanField(label=_("Include services no longer in use"), required=False)


class ServiceForm(TranslationsFormMixin, VersionedFormMixin, forms.ModelForm[Service]):
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")
    translated_field = "eligibility"

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = self.instance.translations if self.instance.pk else {}
        self.add_translation_fields(organisation, existing, textarea=True)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["translations"] = self.translations()
        return data

    class Meta:
        model = Service
        # What `save_service` writes, but the translations: the form builds those from a
        # field per language (clean).
        fields = [field for field in SERVICE_FIELDS if field != "translations"]
        widgets = {"eligibility": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        # The service layer checks the name against services and sharing recipients together.
        pass


class ContactPersonForm(VersionedFormMixin, forms.ModelForm[ContactPerson]):
    class Meta:
        model = ContactPerson
        fields = list(CONTACT_FIELDS)


DISCLOSE_NOTHING = "none"
DISCLOSE_DATA = "share"


class ReferralForm(forms.Form):
    """Where to refer the client, and what, if anything, the service is told about them."""

    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none())
    made_on = forms.DateField(label=_("Referred on"), widget=DateInput())
    reason = forms.CharField(
        label=_("What the referral is for"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Keep it short: the need, not the story."),
    )
    disclosure = forms.ChoiceField(
        label=_("What the service is told"),
        widget=forms.RadioSelect,
        choices=[
            (
                DISCLOSE_DATA,
                _("Share some of the client's data with the service (needs their consent)"),
            ),
            (
                DISCLOSE_NOTHING,
                _(
                    "Nothing identifying: the client contacts the service themselves, "
                    "with the service's details"
                ),
            ),
        ],
    )
    categories = forms.MultipleChoiceField(
        label=_("Data to share"),
        required=False,
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what the service needs, and only what the client agreed to."),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = cast("forms.ModelChoiceField[Service]", self.fields["service"])
        own = Service.objects.filter(organisation_id=case.organisation_id)
        # Offered: the services a client may be referred to. Taken: any of the organisation's,
        # so that one taken out of use (or found to be enforcement) while the form was open
        # gets the service layer's reason next to the field, not "not one of the choices".
        self.offered = own.referable()
        service.queryset = own
        service.widget.choices = forms.ModelChoiceField(
            queryset=self.offered, empty_label=service.empty_label
        ).choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("disclosure") == DISCLOSE_DATA and not data.get("categories"):
            self.add_error("categories", _("Tick the data to share, or share nothing."))
        if data.get("disclosure") == DISCLOSE_NOTHING:
            data["categories"] = []
        return data


class ReferralUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())
    date = forms.DateField(label=_("On"), widget=DateInput())
    outcome_note = forms.CharField(
        label=_("Outcome"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What came of it, in a few words. Nothing the client asked not to record."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, referral: Referral, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Referral.Status.choices)
        status = cast(forms.ChoiceField, self.fields["status"])
        # Every status is offered to the form's validation: the lifecycle in the service
        # decides, so an impossible move gets its own message instead of "not a valid choice".
        status.choices = [(s, labels[s]) for s in allowed] + [
            (s, labels[s]) for s in Referral.Status.values if s not in allowed
        ]
        status.widget.choices = [(s, labels[s]) for s in allowed]
        self.fields["version"].initial = referral.version
