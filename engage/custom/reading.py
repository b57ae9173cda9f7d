"""The answers to an organisation's own fields where they are read: the case page and its
timeline, the API, the exports.

Every reader goes through `answers`: one query for a case's values with their fields and
options, one for the services they name, whatever the number of fields. A sensitive field's
answers reach only the case's own case manager and their supervisor (`sees_sensitive`); a
retired field's answers are still shown on the records they were given on; each answer is
shown under the label it was given under (`label_at_entry`).
"""

import decimal
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from engage.accounts.models import User
from engage.cases.models import Case, Goal, Person
from engage.cases.timeline import Event
from engage.custom.models import (
    ChoiceOption,
    CustomField,
    CustomValue,
    FieldType,
    Form,
    on_sensitive_contacts,
)
from engage.custom.services import (
    display,
    form_querysets,
    read_key,
    sees_sensitive,
    with_options,
)
from engage.lib.queries import read_together


@dataclass(frozen=True)
class Answer:
    form: str
    record_id: str
    key: str
    label: str  # the question as it was asked when the answer was given
    text: str  # the answer as a person reads it
    data: Any  # the answer as stored (JSON), for the API
    type: str
    sensitive: bool
    retired: bool


def answers(case: Case, user: User | None, *, form: str | None = None) -> list[Answer]:
    """The answers on `case` that `user` may read, in the order of their forms' fields.

    The values, their fields and the fields' options in one query (`read_together`; the case
    page's budget, issue 17), each a few rows."""
    return _as_read(*read_together(*_answers_querysets(case, user, form)))


def _answers_querysets(
    case: Case, user: User | None, form: str | None = None
) -> tuple["QuerySet[CustomValue]", "QuerySet[CustomField]", "QuerySet[ChoiceOption]"]:
    rows = CustomValue.objects.filter(case=case)
    if user is not None and not sees_sensitive(user, case):
        # Nor what was answered on a sensitive contact someone else recorded.
        rows = rows.filter(field__sensitive=False).exclude(
            on_sensitive_contacts(recorded_by_other_than=user)
        )
    if form is not None:
        rows = rows.filter(field__form=form)
    answered = rows.values("field_id")
    return (
        rows,
        CustomField.objects.filter(pk__in=answered),
        ChoiceOption.objects.filter(field__in=answered),
    )


def _as_read(
    values: list[CustomValue], fields: list[CustomField], options: list[ChoiceOption]
) -> list[Answer]:
    by_pk = with_options(fields, options)
    for value in values:
        CustomValue.field.field.set_cached_value(value, by_pk[value.field_id])
    values.sort(key=lambda value: (value.field.form, value.field.position, value.field.label))
    return as_answers(values)


def _answers_key(user: User) -> str:
    return f"_custom_answers_for_{user.pk}"


def answers_on_page(case: Case, user: User, *, form: str | None = None) -> list[Answer]:
    """`answers` for a page that shows them in more than one place (the case page: its
    timeline and the referral's card), read once per case object: the page's request loads
    its case afresh, and nothing is written between the two reads."""
    read: list[Answer] | None = case.__dict__.get(_answers_key(user))
    if read is None:
        read = case.__dict__[_answers_key(user)] = answers(case, user)
    return read if form is None else [answer for answer in read if answer.form == form]


def read_for_page(case: Case, user: User, forms: Iterable[str]) -> None:
    """Read the case's answers `user` may see (`answers_on_page`) and its organisation's
    fields of each of `forms` (`services.form_fields` given this case) in one query, for a
    page that shows both: the case page, its answers and the contact form's own fields
    (issue 17: a query each was over the page's budget). Kept on the case object, as
    `answers_on_page` keeps what it reads."""
    forms = list(forms)
    read = read_together(
        *_answers_querysets(case, user),
        *(each for form in forms for each in form_querysets(case.organisation_id, form)),
    )
    case.__dict__[_answers_key(user)] = _as_read(*read[:3])
    for number, form in enumerate(forms):
        fields, options = read[3 + 2 * number : 5 + 2 * number]
        case.__dict__[read_key(case.organisation_id, form)] = (fields, options)


def as_answers(values: Iterable[CustomValue]) -> list[Answer]:
    """Each value as an answer; the services they name read in one query."""
    values = list(values)
    services = _service_names(values)
    found = []
    for value in values:
        field, data = value.field, value.data
        if data is None or data == "" or data == []:
            continue
        if field.type == FieldType.SERVICE:
            text = services.get(str(data), "")
        else:
            text = display(field, data)
        found.append(
            Answer(
                form=field.form,
                record_id=value.record_id,
                key=field.key,
                label=value.label_at_entry or field.shown_label,
                text=text,
                data=data,
                type=field.type,
                sensitive=field.sensitive,
                retired=field.is_retired,
            )
        )
    return found


def by_record(found: Iterable[Answer]) -> dict[str, list[Answer]]:
    grouped: dict[str, list[Answer]] = defaultdict(list)
    for answer in found:
        grouped[answer.record_id].append(answer)
    return dict(grouped)


def api_value(answer: Answer) -> Any:
    """The answer in the API's JSON: a number as a number, the rest as stored."""
    if answer.type == FieldType.NUMBER:
        number = decimal.Decimal(str(answer.data))
        return int(number) if number == number.to_integral_value() else float(number)
    return answer.data


def _service_names(values: list[CustomValue]) -> dict[str, str]:
    ids = {str(v.data) for v in values if v.field.type == FieldType.SERVICE and v.data}
    if not ids:
        return {}
    from engage.directory.models import Service

    organisations = {v.field.organisation_id for v in values}
    rows = Service.objects.filter(organisation_id__in=organisations, pk__in=ids)
    return {str(pk): name for pk, name in rows.values_list("pk", "name")}


def add_to_timeline(case: Case, events: list[Event], user: User) -> None:
    """Add each record's answers to its event of the case's timeline (`cases.timeline`)."""
    grouped = by_record(answers_on_page(case, user))
    for event in events:
        for answer in grouped.get(event.record_id, []):
            if answer.form == event.kind:
                # "Label: answer", with the space French puts before the colon.
                line = _("%(label)s: %(value)s") % {"label": answer.label, "value": answer.text}
                event.lines.append(line)


def for_the_person(value: CustomValue) -> dict[str, object]:
    """One answer as its person reads it in their own data (privacy.access): the question as
    it was asked, the answer in words (an option by its label, yes or no, a date written out,
    a service by name) rather than as stored."""
    field = value.field
    try:
        answer = display(field, value.data)
    except ValueError:  # not JSON, or not of its type: the person still gets what is stored
        answer = value.value
    return {
        "id": value.pk,
        "case": str(value.case),
        "form": str(Form(field.form).label),
        "question": value.label_at_entry or field.shown_label,
        "answer": answer,
        "record_id": value.record_id,
        "updated_at": value.updated_at,
        "updated_by": value.updated_by.get_role_display(),
    }


def on_goals_of(person: Person) -> QuerySet[CustomValue]:
    """The answers given on the goals of `person`'s own plans.

    A household member's plans are in the client's case, so the answers on their goals hang off
    that case, and are theirs only through the goal's id: their erasure and the client's copy
    of their own data (engage.privacy) tell them apart by this."""
    goals = Goal.objects.filter(plan__person=person).values_list("pk", flat=True)
    return CustomValue.objects.filter(field__form=Form.GOAL, record_id__in=map(str, goals))


def about_someone_else(value: CustomValue, person: Person) -> bool:
    """Whether `value`, of one of `person`'s cases, was given on another person's goal."""
    if value.field.form != Form.GOAL:
        return False
    return not Goal.objects.filter(pk=value.record_id, plan__person=person).exists()
