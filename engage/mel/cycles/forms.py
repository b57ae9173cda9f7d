"""Forms of the evaluation cycle pages (the rules are in `cycles.py`)."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from engage.mel.models import Narrative

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MONTH_HELP = _("A month, YYYY-MM.")


def _month(label: "StrOrPromise") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=7,
        help_text=MONTH_HELP,
        widget=forms.TextInput(attrs={"placeholder": "2025-01", "inputmode": "numeric"}),
    )


class CycleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    period_start = _month(_("Start of the term"))
    baseline = _month(_("Baseline"))
    six_months = _month(_("6 months"))
    midterm = _month(_("Mid-term"))
    end_of_term = _month(_("End of term"))


class SnapshotForm(forms.Form):
    disclosure = forms.ChoiceField(
        label=_("Disclosure level"),
        choices=[
            ("network", _("Network: counts 1-4 shown as <5")),
            ("public", _("Public: counts 1-9 shown as <10")),
            ("exact", _("Exact: every count (logged)")),
        ],
        initial="network",
    )
    source = forms.ChoiceField(
        label=_("Data"),
        choices=[
            ("imported", _("Submissions imported from the pilots")),
            ("live", _("This instance's live cases")),
        ],
        initial="imported",
    )
    confirm = forms.BooleanField(
        label=_("I understand that the figures are frozen once taken and cannot be retaken."),
    )


class NarrativeForm(forms.ModelForm[Narrative]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Narrative
        fields = ["relevance", "progress", "adaptations", "lessons", "recommendations"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}
        help_texts = {
            "relevance": _("Is the programme still answering the needs it was set up for?"),
            "progress": _("What the figures show against the plan."),
            "adaptations": _("What the pilots changed, and why."),
            "lessons": _("What the network learned."),
            "recommendations": _("What should happen next."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = (
                None if self.instance._state.adding else self.instance.version
            )

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")


class CycleDeleteForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, delete this cycle."))
