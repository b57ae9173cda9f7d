"""The fields an outbox item may carry, validated as the same forms online would be."""

from django import forms

from engage.cases.models import Assessment, Contact
from engage.cases.models.process import VULNERABILITY_FIELD_NAMES


class ContactItemForm(forms.ModelForm[Contact]):
    """A contact as the phone records it: the web form's own fields, without the next
    appointment (planned back online, docs/offline.md)."""

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


class AssessmentItemForm(forms.ModelForm[Assessment]):
    """An assessment as the phone records it: the web form's fields."""

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


class ActionStatusItemForm(forms.Form):
    action = forms.UUIDField()
    status = forms.CharField(max_length=10)


ITEM_FORMS: dict[str, type[forms.BaseForm]] = {
    "contact": ContactItemForm,
    "assessment": AssessmentItemForm,
    "action_status": ActionStatusItemForm,
}
