from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from engage.accounts.models import User
from engage.cases.forms import DateInput
from engage.lib.concurrency import VersionedFormMixin
from engage.network.models import (
    Activity,
    ActivityKind,
    ActorType,
    DetentionCost,
    Interaction,
    Level,
    ProgrammeBudget,
    Stage,
    Stakeholder,
)
from engage.network.services import ACTIVITY_FIELDS, STAKEHOLDER_FIELDS

# A lazy text, translated when the list is drawn (django-countries' stubs ask for a str).
ANY_COUNTRY = cast("str", _("Any country"))


class StakeholderSearchForm(forms.Form):
    WHOSE = (
        ("", _("Ours and those shared")),
        ("ours", _("Ours only")),
        ("shared", _("Shared by others")),
    )

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    actor_type = forms.ChoiceField(
        label=_("Type of actor"), required=False, choices=[("", _("Any type")), *ActorType.choices]
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("Any level")), *Level.choices]
    )
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("Any stage")), *Stage.choices]
    )
    country = CountryField(blank=True, blank_label=ANY_COUNTRY).formfield(
        label=_("Country"), required=False
    )
    whose = forms.ChoiceField(label=_("Whose"), required=False, choices=WHOSE)


class StakeholderForm(VersionedFormMixin, forms.ModelForm[Stakeholder]):
    stage = forms.ChoiceField(label=_("Relationship stage"), choices=Stage.choices)
    stage_date = forms.DateField(label=_("At this stage since"), widget=DateInput())

    class Meta:
        model = Stakeholder
        fields = list(STAKEHOLDER_FIELDS)  # what the service saves
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            # The stage moves on the stakeholder's page, with its history.
            del self.fields["stage"]
            del self.fields["stage_date"]


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("New stage"), choices=Stage.choices)
    date = forms.DateField(label=_("Since"), widget=DateInput())
    # The version of the stakeholder the keeper started from (lib.concurrency).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, stakeholder: Stakeholder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = stakeholder.version


class InteractionForm(forms.ModelForm[Interaction]):
    class Meta:
        model = Interaction
        fields = ["date", "type", "people", "note"]
        widgets = {"date": DateInput(), "note": forms.Textarea(attrs={"rows": 3})}


class ActivitySearchForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *ActivityKind.choices]
    )
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class ActivityForm(VersionedFormMixin, forms.ModelForm[Activity]):
    class Meta:
        model = Activity
        fields = list(ACTIVITY_FIELDS)  # what the service saves
        widgets = {
            "date": DateInput(),
            "end_date": DateInput(),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stakeholder = cast("forms.ModelChoiceField[Stakeholder]", self.fields["stakeholder"])
        stakeholder.queryset = Stakeholder.objects.visible_to(user).order_by("name")


class DetentionCostForm(VersionedFormMixin, forms.ModelForm[DetentionCost]):
    class Meta:
        model = DetentionCost
        fields = ["country", "year", "amount", "currency", "source"]

    def validate_unique(self) -> None:
        pass  # the service says which field clashes


class BudgetForm(VersionedFormMixin, forms.ModelForm[ProgrammeBudget]):
    class Meta:
        model = ProgrammeBudget
        fields = ["start", "end", "amount", "currency", "covers"]
        widgets = {"start": DateInput(), "end": DateInput()}
