from django import forms
from django.utils.translation import gettext_lazy as _


class WeekFilterForm(forms.Form):
    """A supervisor's choice of whose week to see: the whole team's, or one case manager's."""

    case_manager = forms.ModelChoiceField(
        label=_("Case manager"),
        queryset=None,
        required=False,
        empty_label=_("Everyone in my teams"),
    )

    def __init__(self, *args, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = managers
