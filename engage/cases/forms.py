from django import forms
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import City, Organisation, Role, User
from engage.cases.models import (
    Action,
    Assessment,
    Case,
    Closure,
    Contact,
    DisengagementFactor,
    FirstMeeting,
    Goal,
    Person,
    PlanReview,
    ReassessmentRequest,
    Screening,
    Stage,
)
from engage.cases.models.case import DEFAULT_PURPOSE
from engage.cases.models.process import VULNERABILITY_FIELD_NAMES
from engage.lib.concurrency import VersionedFormMixin
from engage.lib.dates import validate_birth_date
from engage.lib.translations import TranslationsFormMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _date_widgets(*names: str) -> dict:
    return {name: DateInput() for name in names}


def _short_textareas(*names: str) -> dict:
    return {name: forms.Textarea(attrs={"rows": 2}) for name in names}


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or reference"), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", _("All open stages")), *Stage.choices, ("all", _("Every stage"))],
    )
    due = forms.ChoiceField(label=_("Due"), required=False)

    def __init__(self, *args, **kwargs):
        from engage.cases.due import due_choices

        super().__init__(*args, **kwargs)
        self.fields["due"].choices = [("", _("Anything")), *due_choices()]


def case_managers_of(organisation: Organisation):
    return User.objects.case_holders(organisation).order_by("first_name", "last_name")


class PersonForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "nationality",
            "phone",
            "email",
            "address",
            "document_number",
            "languages",
        ]
        widgets = {**_date_widgets("date_of_birth"), **_short_textareas("address")}

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        validate_birth_date(born)  # not in the future (docs/security.md, issue 10 item 17)
        return born


class ReferralForm(forms.ModelForm):
    """The facts of a referral; the person's identity comes in a PersonForm beside it."""

    class Meta:
        model = Case
        fields = [
            "referral_date",
            "referral_source",
            "detention_at_referral",
            "migration_status",
            "interpreter_language",
            "legal_basis",
            "purpose",
            "city",
            "case_manager",
        ]
        widgets = _date_widgets("referral_date")

    def __init__(self, *args, organisation: Organisation, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = City.objects.filter(organisation=organisation)
        self.fields["case_manager"].queryset = case_managers_of(organisation)
        if user.role == Role.CASE_MANAGER:
            self.fields["case_manager"].initial = user.pk
        self.fields["purpose"].initial = DEFAULT_PURPOSE


class NewEnrollmentForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = [
            "referral_date",
            "referral_source",
            "detention_at_referral",
            "migration_status",
            "interpreter_language",
            "legal_basis",
            "purpose",
        ]
        widgets = _date_widgets("referral_date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].initial = DEFAULT_PURPOSE


class HouseholdMemberForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["given_name", "family_name", "relationship", "date_of_birth", "sex"]
        widgets = _date_widgets("date_of_birth")

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        validate_birth_date(born)  # not in the future (docs/security.md, issue 10 item 17)
        return born

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_name"].required = False
        self.fields["relationship"].choices = [
            c for c in Person.Relationship.choices if c[0] != Person.Relationship.CLIENT
        ]

    def has_changed(self) -> bool:
        # A row counts as filled in once it has a name; the selects always post a value.
        return bool(self.data.get(self.add_prefix("given_name"), "").strip())


HouseholdFormSet = forms.formset_factory(HouseholdMemberForm, extra=3, max_num=12)


class FirstMeetingForm(forms.ModelForm):
    class Meta:
        model = FirstMeeting
        fields = [
            "date",
            "programme_explained",
            "independence_explained",
            "data_protection_explained",
            "consent_given",
            "declaration_signed",
            "consent_method",
        ]
        widgets = _date_widgets("date")


class ScreeningForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Screening
        fields = [
            "date",
            "identity_notes",
            "family",
            "health",
            "safety",
            "accommodation",
            "basic_needs",
            "community_ties",
            "detention_risk",
            "return_possible",
            "return_imminent",
            *VULNERABILITY_FIELD_NAMES,
            "intervention_rating",
        ]
        widgets = {
            **_date_widgets("date"),
            **_short_textareas(
                "identity_notes",
                "family",
                "health",
                "safety",
                "accommodation",
                "basic_needs",
                "community_ties",
                *VULNERABILITY_FIELD_NAMES[1::2],
            ),
        }


class InclusionForm(forms.Form):
    include = forms.TypedChoiceField(
        label=_("The team's decision"),
        coerce=lambda value: value == "yes",
        choices=[("yes", _("Include in the programme")), ("no", _("Decline the referral"))],
        widget=forms.RadioSelect,
    )
    date = forms.DateField(label=_("Date of the team's decision"), widget=DateInput())
    criteria_met = forms.MultipleChoiceField(
        label=_("Eligibility criteria met"), required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Reasons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when declining: the reason is kept with the referral."),
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria_met"].choices = [(str(c.pk), c.shown_text) for c in criteria]
        if not criteria:
            self.fields["criteria_met"].help_text = _(
                "Your organisation has not set eligibility criteria yet."
            )


class ReviewForm(forms.Form):
    review_note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when sending back: say what needs to change."),
    )


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = [
            "date",
            "trigger",
            "needs",
            "risks",
            "strengths",
            *VULNERABILITY_FIELD_NAMES,
            "informed_decisions",
            "engage_procedures",
            "wellbeing",
        ]
        widgets = {
            **_date_widgets("date"),
            **_short_textareas("needs", "risks", "strengths", *VULNERABILITY_FIELD_NAMES[1::2]),
            **{
                name: forms.RadioSelect(choices=[(n, str(n)) for n in range(1, 6)])
                for name in ("informed_decisions", "engage_procedures", "wellbeing")
            },
        }
        help_texts = {
            "informed_decisions": _("1 = very limited, 5 = fully able"),
            "engage_procedures": _("1 = very limited, 5 = fully able"),
            "wellbeing": _("1 = very poor, 5 = very good"),
        }


class ReassessmentRequestForm(forms.ModelForm):
    class Meta:
        model = ReassessmentRequest
        fields = ["trigger", "note"]


class PlanForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Plan for"), queryset=Person.objects.none())

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(pk=case.person_id)
        if case.household_id:
            people = Person.objects.filter(household_id=case.household_id)
        self.fields["person"].queryset = people
        self.fields["person"].initial = case.person_id


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["area", "migration_option", "description"]


class ActionForm(forms.ModelForm):
    class Meta:
        model = Action
        fields = ["description", "owner", "third_party", "due_date"]
        widgets = _date_widgets("due_date")


class PlanReviewForm(forms.ModelForm):
    class Meta:
        model = PlanReview
        fields = ["date", "note"]
        widgets = {**_date_widgets("date"), **_short_textareas("note")}


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "date",
            "type",
            "duration_minutes",
            "engagement_level",
            "note",
            "content_not_recorded",
            "sensitive",
        ]
        widgets = {**_date_widgets("date"), **_short_textareas("note")}


class OutcomeForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Case
        fields = ["outcome", "outcome_permanence", "outcome_date"]
        widgets = _date_widgets("outcome_date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome_date"].required = True


class ClosureForm(forms.ModelForm):
    disengagement_factors = forms.MultipleChoiceField(
        label=_("Factors in the disengagement, as far as known"),
        required=False,
        choices=DisengagementFactor.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a client who disengaged or absconded: what the network can learn from."),
    )

    class Meta:
        model = Closure
        fields = [
            "date",
            "reason",
            "outcome",
            "outcome_permanence",
            "onward_referral",
            "disengagement_factors",
            "disengagement_other",
            "note",
        ]
        widgets = {**_date_widgets("date"), **_short_textareas("note")}

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        if case.outcome:
            self.fields["outcome"].initial = case.outcome
            self.fields["outcome_permanence"].initial = case.outcome_permanence


class ReassignForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Case
        fields = ["case_manager"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers_of(self.instance.organisation)


class EligibilityCriterionForm(TranslationsFormMixin, forms.Form):
    text = forms.CharField(label=_("New criterion"), max_length=300)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_translation_fields(organisation)


class CriterionTranslationsForm(TranslationsFormMixin, forms.Form):
    """The other languages of an existing criterion; its text as written stays as it is."""

    text = forms.CharField(label=_("Criterion"), max_length=300, disabled=True, required=False)

    def __init__(self, *args, organisation, criterion, **kwargs):
        super().__init__(*args, initial={"text": criterion.text}, **kwargs)
        self.add_translation_fields(organisation, criterion.translations)
