from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from engage.accounts.models import City, Organisation, Role, User, supervised_by
from engage.cases.eligibility import CriterionCheck
from engage.cases.models import (
    Action,
    Appointment,
    Assessment,
    Case,
    Closure,
    ClosureReason,
    Contact,
    DisengagementFactor,
    EligibilityCriterion,
    FirstMeeting,
    Goal,
    Person,
    PlanReview,
    ReassessmentRequest,
    Screening,
    Stage,
)
from engage.cases.models.appointment import validate_planned_date
from engage.cases.models.case import DEFAULT_PURPOSE, MAX_CONTACT_INTERVAL_DAYS
from engage.cases.models.process import VULNERABILITY_FIELD_NAMES, EstablishedBy
from engage.cases.services import APPOINTMENT_FIELDS, validate_not_in_future
from engage.lib.concurrency import VersionedFormMixin
from engage.lib.dates import validate_birth_date
from engage.lib.forms import typed_values
from engage.lib.translations import TranslationsFormMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class PastDatesMixin:
    """Before a form class: its date fields of what already happened (`past_dates`) refuse a
    day in the future with the form's other errors. The service's `check_date` refused it only
    once every other field was mended, so a form sent with three mistakes told of the fourth
    only at the next try. The service still checks it, with the referral's date."""

    past_dates: tuple[str, ...] = ("date",)
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.past_dates:
            if name in self.fields:
                self.fields[name].validators.append(validate_not_in_future)


class TelInput(forms.TextInput):
    """A phone number: the phone's keyboard of digits, and the browser's own number offered."""

    input_type = "tel"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "tel", **(attrs or {})})


def _date_widgets(*names: str) -> dict:
    return {name: DateInput() for name in names}


def _short_textareas(*names: str) -> dict:
    return {name: forms.Textarea(attrs={"rows": 2}) for name in names}


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or reference"), required=False, max_length=200)  # as the API
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", _("All open stages")), *Stage.choices, ("all", _("Every stage"))],
    )
    due = forms.ChoiceField(label=_("Due"), required=False)
    case_manager = forms.ModelChoiceField(
        label=_("Case manager"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Anyone"),
    )

    def __init__(self, *args, user: User, **kwargs):
        from engage.cases.due import due_choices

        super().__init__(*args, **kwargs)
        self.fields["due"].choices = [("", _("Anything")), *due_choices()]
        if user.role == Role.CASE_MANAGER:
            # Their own caseload, and their clients' households: nobody else's to choose.
            del self.fields["case_manager"]
        elif user.role == Role.SUPERVISOR:
            # Themselves and the members of the teams they lead, whose caseloads they see: not
            # every case holder of the organisation (571 in a pilot of a national programme).
            holders = case_managers_of(user.organisation)
            self.fields["case_manager"].queryset = holders.filter(supervised_by(user))
        else:
            self.fields["case_manager"].queryset = case_managers_of(user.organisation)


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
        widgets = {
            **_date_widgets("date_of_birth"),
            **_short_textareas("address"),
            "phone": TelInput(),
        }

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        validate_birth_date(born)  # not in the future (docs/security.md, issue 10 item 17)
        return born


class ReferralForm(PastDatesMixin, forms.ModelForm):
    past_dates = ("referral_date",)
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
        cities = City.objects.filter(organisation=organisation)
        self.fields["city"].queryset = cities
        self.fields["case_manager"].queryset = case_managers_of(organisation)
        if user.role == Role.CASE_MANAGER:
            self.fields["case_manager"].initial = user.pk
        self.fields["purpose"].initial = DEFAULT_PURPOSE
        # What Engage knows already: today where the organisation works, its only city, its
        # usual legal basis. Each can still be changed for this referral.
        self.fields["referral_date"].initial = organisation.today()
        if len(only := list(cities[:2])) == 1:
            self.fields["city"].initial = only[0].pk
        if organisation.default_legal_basis:
            self.fields["legal_basis"].initial = organisation.default_legal_basis
            self.fields["legal_basis"].help_text = _(
                "Your organisation's usual basis; choose another if this client's differs."
            )


class NewEnrollmentForm(PastDatesMixin, forms.ModelForm):
    past_dates = ("referral_date",)

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

    def __init__(self, *args, number: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number  # 1, 2, …; None for the empty block copied by the page's script
        self.fields["given_name"].required = False
        self.fields["relationship"].choices = [
            c for c in Person.Relationship.choices if c[0] != Person.Relationship.CLIENT
        ]

    def has_changed(self) -> bool:
        # A row counts as filled in once it has a name; the selects always post a value.
        return bool(self.data.get(self.add_prefix("given_name"), "").strip())

    @property
    def summary_prefix(self) -> str:
        return _("Household member %(number)s") % {"number": self.number}


class BaseHouseholdFormSet(forms.BaseFormSet):
    """The household members, one block each, added as needed: none at first."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "number": None if index is None else index + 1}

    def initial_form_count(self) -> int:
        # Every block is optional, those shown again with what was typed included: none is an
        # "initial" form, which a formset would check even when left empty.
        return super().initial_form_count() if self.is_bound else 0


HouseholdFormSet = forms.formset_factory(
    HouseholdMemberForm, formset=BaseHouseholdFormSet, extra=0, max_num=12, absolute_max=12
)


def household_with_one_more(sent: BaseHouseholdFormSet) -> BaseHouseholdFormSet:
    """Return the household blocks as typed, unchecked, with an empty one added (the button
    "Add a household member" without JavaScript)."""
    typed = [typed_values(form) for form in sent.forms]
    household = HouseholdFormSet(initial=typed, prefix=sent.prefix)
    household.extra = len(typed) + 1
    return household


class FirstMeetingForm(PastDatesMixin, VersionedFormMixin, forms.ModelForm):
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            # A page opened before the meeting was first recorded sends none: the service
            # refuses it as the change made meanwhile that it is, not as a missing field.
            self.fields["version"].required = False


class ScreeningForm(PastDatesMixin, VersionedFormMixin, forms.ModelForm):
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


class InclusionForm(PastDatesMixin, forms.Form):
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
        help_text=_(
            "Required when declining, and when proposing inclusion with a criterion not met: "
            "the reason is kept with the decision."
        ),
    )

    def __init__(self, *args, checks: list[CriterionCheck], **kwargs):
        super().__init__(*args, **kwargs)
        self.checks = checks
        self.fields["criteria_met"].choices = [
            (str(check.criterion.pk), check.criterion.shown_text) for check in checks
        ]
        # Ticked where the referral, the first meeting or the screening show it met; the
        # team still decides.
        self.fields["criteria_met"].initial = [
            str(check.criterion.pk) for check in checks if check.established
        ]
        if not checks:
            self.fields["criteria_met"].help_text = _(
                "Your organisation has not set eligibility criteria yet."
            )
        elif any(check.finding for check in checks):
            self.fields["criteria_met"].help_text = _(
                "Ticked where what was recorded shows the criterion met. The team decides: "
                "change any tick."
            )

    def criteria_rows(self) -> list:
        """Each criterion's checkbox with what the records found for it."""
        return list(zip(self["criteria_met"], self.checks, strict=True))


class ReviewForm(forms.Form):
    review_note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when sending back: say what needs to change."),
    )


class AssessmentForm(PastDatesMixin, forms.ModelForm):
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
                name: forms.RadioSelect(
                    choices=[(n, str(n)) for n in range(1, 6)], attrs={"class": "scale"}
                )
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
            # Not a member erased: a plan for them would be their personal data again.
            people = Person.objects.filter(household_id=case.household_id, erased_at__isnull=True)
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


class GoalEditForm(VersionedFormMixin, forms.ModelForm):
    """A goal's wording, edited in place on the plan page."""

    class Meta:
        model = Goal
        fields = ["description"]


class GoalStatusForm(PastDatesMixin, VersionedFormMixin, forms.ModelForm):
    past_dates = ("status_date",)
    """A goal achieved, or no longer pursued, on a date."""

    class Meta:
        model = Goal
        fields = ["status", "status_date"]
        widgets = {"status": forms.RadioSelect, **_date_widgets("status_date")}
        labels = {"status": _("The goal is"), "status_date": _("Date")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            choice for choice in Goal.Status.choices if choice[0] != Goal.Status.OPEN
        ]
        self.fields["status_date"].required = True
        self.fields["status_date"].help_text = _("Its open actions are cancelled.")


class GoalReopenForm(VersionedFormMixin, forms.ModelForm):
    """Only the version: reopening a goal takes no other input."""

    class Meta:
        model = Goal
        fields: list[str] = []


class ActionEditForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Action
        fields = ["description", "owner", "third_party", "due_date"]
        widgets = _date_widgets("due_date")


class ActionStatusForm(forms.Form):
    """An action's status on the plan page, with the version of the action the row showed."""

    status = forms.ChoiceField(choices=Action.Status.choices)
    version = forms.IntegerField(min_value=1)


class PlanReviewForm(PastDatesMixin, forms.ModelForm):
    class Meta:
        model = PlanReview
        fields = ["date", "note"]
        widgets = {**_date_widgets("date"), **_short_textareas("note")}


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class AppointmentForm(VersionedFormMixin, forms.ModelForm):
    """An appointment planned with the client, on its own page."""

    class Meta:
        model = Appointment
        fields = list(APPOINTMENT_FIELDS)  # what the service saves
        widgets = {**_date_widgets("date"), "time": TimeInput()}
        labels = {"kind": _("Kind of appointment")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].validators.append(validate_planned_date)


class AppointmentStatusForm(forms.Form):
    """Held or cancelled: the buttons of a planned appointment on the case page."""

    status = forms.ChoiceField(
        choices=[
            (Appointment.Status.DONE, Appointment.Status.DONE.label),
            (Appointment.Status.CANCELLED, Appointment.Status.CANCELLED.label),
        ]
    )
    version = forms.IntegerField(min_value=1)


class NextAppointmentForm(AppointmentForm):
    """The optional next appointment on the contact form: left empty, or date and kind given."""

    prefix = "next"

    class Meta(AppointmentForm.Meta):
        labels = {"date": _("Next appointment on"), "kind": _("Kind of appointment")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def clean(self):
        data = super().clean()
        if any(data.get(name) for name in self.Meta.fields):
            if not data.get("date"):
                self.add_error("date", _("Say on which day."))
            if not data.get("kind"):
                self.add_error("kind", _("Say what kind of appointment it is."))
        return data

    def appointment(self) -> dict | None:
        """The appointment to plan, or None when the fields were left empty."""
        data = self.cleaned_data
        if not data.get("date"):
            return None
        return {name: data.get(name) for name in self.Meta.fields}


class ContactForm(PastDatesMixin, forms.ModelForm):
    """A contact, and the next appointment agreed during it (`next_appointment`, optional)."""

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

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.next_appointment = NextAppointmentForm(data)

    def is_valid(self) -> bool:
        # Both forms are validated, so each shows its own errors.
        contact_valid = super().is_valid()
        return self.next_appointment.is_valid() and contact_valid

    def appointment(self) -> dict | None:
        return self.next_appointment.appointment()


class OutcomeForm(PastDatesMixin, VersionedFormMixin, forms.ModelForm):
    past_dates = ("outcome_date",)

    class Meta:
        model = Case
        fields = ["outcome", "outcome_permanence", "outcome_date"]
        widgets = _date_widgets("outcome_date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome_date"].required = True


class ClosureForm(PastDatesMixin, forms.ModelForm):
    disengagement_factors = forms.MultipleChoiceField(
        label=_("Factors in the disengagement, as far as known"),
        required=False,
        choices=DisengagementFactor.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the network can learn from."),
    )
    # The closure reasons the disengagement factors concern (kept for no other reason).
    disengagement_reasons = (ClosureReason.DISENGAGED, ClosureReason.ABSCONDED)

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


class ContactIntervalForm(VersionedFormMixin, forms.ModelForm):
    """How often the client is to be contacted: a usual rhythm, any number of days, or the default."""

    CUSTOM = "custom"
    RHYTHMS = {
        7: _("Every week (7 days)"),
        14: _("Every two weeks (14 days)"),
        30: _("Every month (30 days)"),
    }

    every = forms.ChoiceField(label=_("Contact the client"), required=False)
    days = forms.IntegerField(
        label=_("Number of days"),
        required=False,
        min_value=1,
        max_value=MAX_CONTACT_INTERVAL_DAYS,
        help_text=_("Only for another number of days."),
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = self.instance.organisation.contact_interval_days
        self.fields["every"].choices = [
            (
                "",
                ngettext(
                    "As the organisation sets (every %(count)d day)",
                    "As the organisation sets (every %(count)d days)",
                    default,
                )
                % {"count": default},
            ),
            *((str(days), label) for days, label in self.RHYTHMS.items()),
            (self.CUSTOM, _("Another number of days")),
        ]
        current = self.instance.contact_interval_days
        if current in self.RHYTHMS:
            self.initial.setdefault("every", str(current))
        elif current:
            self.initial.setdefault("every", self.CUSTOM)
            self.initial.setdefault("days", current)

    def clean(self):
        data = super().clean()
        every = data.get("every")
        if every == self.CUSTOM:
            if data.get("days") is None and "days" not in self.errors:
                self.add_error("days", _("Say how many days."))
            data["interval_days"] = data.get("days")
        else:
            data["interval_days"] = int(every) if every else None
        return data


class ReassignForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Case
        fields = ["case_manager"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers_of(self.instance.organisation)


class ReassignCasesForm(forms.Form):
    """A case manager's open cases, all or those ticked, to give to another case manager."""

    ALL, CHOSEN = "all", "chosen"

    which = forms.ChoiceField(label=_("Which cases"), widget=forms.RadioSelect, initial=ALL)
    cases = forms.MultipleChoiceField(
        label=_("Cases"), required=False, widget=forms.CheckboxSelectMultiple
    )
    case_manager = forms.ModelChoiceField(label=_("New case manager"), queryset=User.objects.none())

    def __init__(self, *args, cases: list[Case], from_manager: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = cases
        self.fields["which"].choices = [
            (
                self.ALL,
                ngettext(
                    "Their open case (%(count)d)", "All their open cases (%(count)d)", len(cases)
                )
                % {"count": len(cases)},
            ),
            (self.CHOSEN, _("Only the cases ticked below")),
        ]
        self.fields["cases"].choices = [
            (str(case.pk), f"{case.person} · {case.reference} · {case.get_stage_display()}")
            for case in cases
        ]
        self.fields["case_manager"].queryset = case_managers_of(from_manager.organisation).exclude(
            pk=from_manager.pk
        )

    def clean(self):
        data = super().clean()
        if data.get("which") == self.CHOSEN and not data.get("cases"):
            self.add_error("cases", _("Tick the cases to reassign, or choose all of them."))
        return data

    def chosen_ids(self) -> list[str] | None:
        """The ids ticked, or None for all the case manager's open cases."""
        if self.cleaned_data["which"] == self.ALL:
            return None
        return list(self.cleaned_data["cases"])

    def moving(self) -> list[Case]:
        """The cases that will move, as the form was filled in (for the confirmation)."""
        if not self.is_valid():
            return []
        ids = self.chosen_ids()
        return [case for case in self.cases if ids is None or str(case.pk) in ids]


def _established_by_field() -> forms.ChoiceField:
    field = EligibilityCriterion._meta.get_field("established_by").formfield()
    field.choices = [("", _("Nothing recorded: the team judges")), *EstablishedBy.choices]
    return field


class EligibilityCriterionForm(TranslationsFormMixin, forms.Form):
    text = forms.CharField(label=_("New criterion"), max_length=300)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_translation_fields(organisation)
        self.fields["established_by"] = _established_by_field()


class CriterionTranslationsForm(TranslationsFormMixin, forms.Form):
    """The other languages of an existing criterion; its text as written stays as it is."""

    text = forms.CharField(label=_("Criterion"), max_length=300, disabled=True, required=False)
    # The version of the criterion the admin started from (lib.concurrency).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, organisation, criterion, **kwargs):
        initial = {
            "text": criterion.text,
            "established_by": criterion.established_by,
            "version": criterion.version,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.add_translation_fields(organisation, criterion.translations)
        self.fields["established_by"] = _established_by_field()
