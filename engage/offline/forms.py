"""The forms an outbox item is checked with: the web pages' own forms for a contact (with the
next appointment agreed during it) and an assessment, so that an item recorded offline is
validated exactly as the same form sent online would be."""

from django import forms

from engage.cases.forms import AssessmentForm, ContactForm


class ActionStatusItemForm(forms.Form):
    action = forms.UUIDField()
    status = forms.CharField(max_length=10)


ITEM_FORMS: dict[str, type[forms.BaseForm]] = {
    "contact": ContactForm,
    "assessment": AssessmentForm,
    "action_status": ActionStatusItemForm,
}
