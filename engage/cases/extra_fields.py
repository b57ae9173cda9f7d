"""The organisation's own fields on the forms of the process, without `cases` knowing them.

An app above (`engage.custom`) registers an extension in its `ready()`; the process views call
`extend` on each form they build and `saving` around the service that stores the record, so the
extra values are validated with the form (errors next to their fields) and stored in the same
transaction as the record. Without an extension both do nothing.
"""

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.db import transaction
from django.forms import BaseForm

from engage.accounts.models import Organisation, User
from engage.cases.models import Case

# The forms that take extra fields, by the name the extension knows them under.
REFERRAL = "referral"
FIRST_MEETING = "first_meeting"
SCREENING = "screening"
ASSESSMENT = "assessment"
CONTACT = "contact"
GOAL = "goal"
CLOSURE = "closure"

Record = TypeVar("Record")


class FormExtension(Protocol):
    def extend(
        self,
        form: BaseForm,
        form_name: str,
        *,
        organisation: Organisation,
        user: User,
        case: Case | None,
        record_id: str | None,
    ) -> None:
        """Add the extra fields to `form` (with their values for an existing record)."""

    def save(self, form: BaseForm, form_name: str, *, case: Case, record_id: str, by: User) -> None:
        """Store the extra values of a valid `form` for the record `record_id`."""

    def read_for_page(self, case: Case, user: User, form_names: list[str]) -> None:
        """Read, for a page of `case` that shows its extra answers and forms `form_names`,
        what both need at once (the case page's query budget, issue 17)."""


_extensions: list[FormExtension] = []


def register(extension: FormExtension) -> None:
    _extensions.append(extension)


def extend(
    form: BaseForm,
    form_name: str,
    *,
    organisation: Organisation,
    user: User,
    case: Case | None = None,
    record_id: str | None = None,
) -> Any:
    """Add the registered extra fields to `form` and return it."""
    for extension in _extensions:
        extension.extend(
            form,
            form_name,
            organisation=organisation,
            user=user,
            case=case,
            record_id=record_id,
        )
    return form


def read_for_page(case: Case, user: User, form_names: list[str]) -> None:
    """Let each extension read at once what a page of `case` shows of it: the answers given
    and the fields of `form_names` (the case page and its contact form)."""
    for extension in _extensions:
        extension.read_for_page(case, user, form_names)


def own_data(form: BaseForm) -> dict[str, Any]:
    """The form's cleaned data without the extra fields, for the record's own service."""
    return {name: value for name, value in form.cleaned_data.items() if name not in _extra(form)}


def _extra(form: BaseForm) -> set[str]:
    return set(getattr(form, "extra_field_names", ()))


def saving(
    form: BaseForm,
    form_name: str,
    store: Callable[[], Record],
    *,
    case: Case | Callable[[Record], Case],
    record_id: Callable[[Record], object],
    by: User,
) -> Record:
    """Run `store` (the record's service) and save the extra values in one transaction."""
    with transaction.atomic():
        record = store()
        owner = case(record) if callable(case) else case
        for extension in _extensions:
            extension.save(form, form_name, case=owner, record_id=str(record_id(record)), by=by)
    return record
