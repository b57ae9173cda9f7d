from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User


class WeekFilterForm(forms.Form):
    """A supervisor's choice of whose week to see: the whole team's, or one case manager's."""

    case_manager: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Case manager"),
        queryset=None,
        required=False,
        empty_label=_("Everyone in my teams"),
    )

    def __init__(self, *args: Any, managers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[User]", self.fields["case_manager"])
        field.queryset = managers
