import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.api.tokens import max_days


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the tool that uses it."),
    )
    expires_on = forms.DateField(label=_("Expires on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = timezone.localdate() + datetime.timedelta(days=30)
        self.fields["expires_on"].help_text = _(
            "At most %(days)s days from today. The token stops working at the end of that day."
        ) % {"days": max_days()}


class SubmissionTokenForm(forms.Form):
    """A submission token for one pilot (the network coordinator's, at the hub)."""

    pilot = forms.CharField(
        label=_("Pilot"),
        max_length=13,
        help_text=_(
            "The pilot's code, e.g. BG-CLA: the token sends that pilot's submissions only."
        ),
    )
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("For example: BG-CLA's own instance.")
    )
    expires_on = forms.DateField(label=_("Expires on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        from engage.api.submission_tokens import MAX_DAYS

        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = timezone.localdate() + datetime.timedelta(days=180)
        self.fields["expires_on"].help_text = _(
            "At most %(days)s days from today. The token stops working at the end of that day."
        ) % {"days": MAX_DAYS}
