from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from engage.cases.forms import DateInput
from engage.cases.models import Case, Person
from engage.privacy.models import SubjectRequest

if TYPE_CHECKING:  # Django's ModelForm cannot be subscripted at run time: only mypy reads it
    _SubjectRequestModelForm = forms.ModelForm[SubjectRequest]
else:
    _SubjectRequestModelForm = forms.ModelForm


def people_of(case: Case) -> QuerySet[Person]:
    """The people who may ask about their data in this case: the client and their household."""
    if case.household_id:
        return Person.objects.filter(household_id=case.household_id)
    return Person.objects.filter(pk=case.person_id)


class SubjectRequestForm(_SubjectRequestModelForm):
    """What the person asks for; written by `privacy.services.record_request`, not saved here."""

    # Declared so mypy knows its type (a ModelForm's generated field is a plain Field to it).
    person: "forms.ModelChoiceField[Person]" = forms.ModelChoiceField(
        queryset=Person.objects.none()
    )

    class Meta:
        model = SubjectRequest
        fields = ["person", "kind", "requested_on", "identity_check"]
        widgets = {"requested_on": DateInput()}

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = cast("forms.ModelChoiceField[Person]", self.fields["person"])
        person.queryset = people_of(case)
        person.initial = case.person_id
        person.label = _("Who asks")
