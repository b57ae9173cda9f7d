from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from engage.cases import workflow
from engage.cases.forms import DateInput
from engage.cases.models import Case, Person
from engage.lib.concurrency import VersionedFormMixin
from engage.sharing.models import (
    Category,
    Consent,
    DataRequest,
    EnforcementBody,
    Purpose,
    Recipient,
    RecipientType,
)
from engage.sharing.services import releasable_people

if TYPE_CHECKING:  # Django's ModelForm cannot be subscripted at run time: only mypy reads these
    _ConsentModelForm = forms.ModelForm[Consent]
    _RecipientModelForm = forms.ModelForm[Recipient]
    _EnforcementBodyModelForm = forms.ModelForm[EnforcementBody]
    _DataRequestModelForm = forms.ModelForm[DataRequest]
else:
    _ConsentModelForm = _RecipientModelForm = _EnforcementBodyModelForm = forms.ModelForm
    _DataRequestModelForm = forms.ModelForm


def _recipients(case: Case, *, shareable: bool) -> QuerySet[Recipient]:
    recipients = Recipient.objects.filter(organisation_id=case.organisation_id, active=True)
    if shareable:
        recipients = recipients.exclude(type=RecipientType.ENFORCEMENT)
    return recipients


def _choices(field: forms.Field) -> "forms.ModelChoiceField[Any]":
    """A field the form declares as a ModelChoiceField (`form.fields` holds any Field)."""
    return cast("forms.ModelChoiceField[Any]", field)


class _CaseScoped:
    """Offer only the people of this case and the organisation's recipients."""

    if TYPE_CHECKING:  # the form's
        fields: dict[str, forms.Field]

    def scope(self, case: Case) -> None:
        _choices(self.fields["person"]).queryset = releasable_people(case)
        if not workflow.person_erased(case):
            self.fields["person"].initial = case.person_id
        self.fields["person"].label = _("Whose data")
        _choices(self.fields["recipient"]).queryset = _recipients(case, shareable=False)


def _categories_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Data"), choices=Category.choices, widget=forms.CheckboxSelectMultiple
    )


class ConsentForm(_CaseScoped, _ConsentModelForm):
    # Declared, not derived from the model: a derived field would query every person at import
    # time, outside any organisation's scope. `scope()` gives it the case's people.
    person: "forms.ModelChoiceField[Person]" = forms.ModelChoiceField(
        queryset=Person.objects.none()
    )
    categories = _categories_field()

    class Meta:
        model = Consent
        fields = [
            "person",
            "recipient",
            "purpose",
            "categories",
            "given_on",
            "expires_on",
            "language",
            "through_interpreter",
        ]
        widgets = {"given_on": DateInput(), "expires_on": DateInput()}

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope(case)


class ShareForm(_CaseScoped, forms.Form):
    """What to share with whom; consent is checked by the sharing service, not here."""

    person: "forms.ModelChoiceField[Person]" = forms.ModelChoiceField(
        queryset=Person.objects.none()
    )
    recipient = forms.ModelChoiceField(label=_("Recipient"), queryset=Recipient.objects.none())
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    categories = _categories_field()

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope(case)


class OverrideForm(ShareForm):
    override_reason = forms.CharField(
        label=_("Why this cannot wait for consent"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For an emergency only, such as a threat to life. Your reason is kept, and the "
            "override is flagged in the audit log for your organisation's admins."
        ),
    )

    def clean_override_reason(self) -> str:
        reason: str = self.cleaned_data["override_reason"].strip()
        if len(reason) < 20:
            raise forms.ValidationError(_("Explain the emergency in a full sentence."))
        return reason


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How and when the person withdrew their consent."),
    )


class RecipientForm(_RecipientModelForm):
    class Meta:
        model = Recipient
        fields = ["name", "type"]

    def validate_unique(self) -> None:
        # The service layer checks the name, ignoring case.
        pass


class KindCorrectionForm(forms.Form):
    type = forms.ChoiceField(label=_("Correct kind"), choices=RecipientType.choices)
    # The version of the recipient the admin started from (lib.concurrency).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, recipient: Recipient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].initial = recipient.type
        self.fields["version"].initial = recipient.version


class EnforcementBodyForm(_EnforcementBodyModelForm):
    class Meta:
        model = EnforcementBody
        fields = ["name"]

    def validate_unique(self) -> None:
        pass


class ScreeningDecisionForm(forms.Form):
    NOT_ENFORCEMENT = "not_enforcement"
    ENFORCEMENT = "enforcement"

    decision = forms.ChoiceField(
        label=_("Your answer"),
        widget=forms.RadioSelect,
        choices=[
            (
                NOT_ENFORCEMENT,
                _("I checked: it is not an enforcement body, data may be shared with it"),
            ),
            (
                ENFORCEMENT,
                _("It is an enforcement body: record it as immigration enforcement"),
            ),
        ],
    )


class DataRequestForm(_DataRequestModelForm):
    case_reference = forms.CharField(
        label=_("Case concerned (reference)"),
        required=False,
        help_text=_("Leave empty if the request names nobody we work with."),
    )

    class Meta:
        model = DataRequest
        fields = ["received_on", "requester", "requester_type", "legal_basis", "data_requested"]
        widgets = {
            "received_on": DateInput(),
            "legal_basis": forms.Textarea(attrs={"rows": 2}),
            "data_requested": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, cases: QuerySet[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cases = cases

    def clean_case_reference(self) -> Case | None:
        reference: str = self.cleaned_data["case_reference"].strip().upper()
        if not reference:
            return None
        case = self.cases.filter(reference=reference).first()
        if case is None:
            raise forms.ValidationError(_("No case of yours has this reference."))
        return case


class DecisionForm(VersionedFormMixin, _DataRequestModelForm):
    class Meta:
        model = DataRequest
        fields = [
            "decision",
            "decision_note",
            "decided_on",
            "subject_informed",
            "subject_informed_on",
        ]
        widgets = {
            "decided_on": DateInput(),
            "subject_informed_on": DateInput(),
            "decision_note": forms.Textarea(attrs={"rows": 3}),
        }
