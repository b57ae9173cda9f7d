"""A pilot's own figures of its own fields: how often each answer of a yes/no, one-choice or
several-choices field was given, over the organisation's cases, for its supervisors and admins.

People, not records, are counted: a case counts once per field, with the answer saved last (a
contact's field is answered at many contacts). The counts go through the network's disclosure
control at network level (`engage.mel.report.disclosure.apply`): perturbed with the cell-key
method, counts of 1 to 4 shown as "<5", and the next smallest answer withheld when a hidden one
could be worked out from the field's total; for several choices, an option ticked by all but 1
to 4 of those who answered is withheld too. The figures are built here, on the organisation's
own instance, and never enter the network dataset (`mel.dataset` knows nothing of this app).

A sensitive field's answers are read only by a case's own case manager and their supervisor;
these figures cover every team of the organisation and are read by its admin, so a sensitive
field is listed without counts and its values are not even read; nor are the answers given on
a contact marked sensitive, which are kept as its note is.
"""

import datetime
import json
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any
from uuid import UUID

from django.db.models import Q
from django.utils.translation import gettext as _

from engage.accounts.models import Organisation
from engage.custom.models import (
    CustomField,
    CustomValue,
    FieldType,
    Form,
    on_sensitive_contacts,
)
from engage.lib.crypto import blind_index
from engage.mel.report import disclosure
from engage.mel.report.indicators import CELL_KEYS, percentage

COUNTED_TYPES = (FieldType.YES_NO, FieldType.CHOICE, FieldType.CHOICES)
LEVEL = "network"
CHUNK = 2000  # values decrypted at a time


@dataclass
class Line:
    label: str
    count: Any  # an int, "<5", or None when withheld
    share: float | None = None  # several choices: the percentage of those who answered
    retired: bool = False


@dataclass
class FieldFigures:
    field: CustomField
    answered: Any = 0  # cases with an answer: an int, "<5", or None when withheld
    lines: list[Line] = default(default_factory=list)


@dataclass
class FormFigures:
    form: str
    label: str
    fields: list[FieldFigures]


def month_bounds(start: str, end: str) -> tuple[datetime.date, datetime.date]:
    """The first day of the month `start` and the last day of the month `end` ("YYYY-MM")."""
    first = datetime.date(int(start[:4]), int(start[5:7]), 1)
    year, month = int(end[:4]), int(end[5:7])
    return first, datetime.date(year, month, monthrange(year, month)[1])


def in_period(start: str | None, end: str | None) -> Q:
    """Cases in the programme at some time in the period: referred by its end, and neither
    closed nor declined before its start."""
    if not start or not end:
        return Q()
    first, last = month_bounds(start, end)
    return (
        Q(case__referral_date__lte=last)
        & (Q(case__closure_date__isnull=True) | Q(case__closure_date__gte=first))
        & (Q(case__declined_date__isnull=True) | Q(case__declined_date__gte=first))
    )


def answer_counts(
    organisation: Organisation, *, start: str | None = None, end: str | None = None
) -> list[FormFigures]:
    """The organisation's counted fields, per form, with their answers counted over its cases
    (in the period when one is given), as they may be shown at network disclosure level.

    Three queries whatever the number of fields and answers: the fields, their options, and
    the values (decrypted in Python, a chunk at a time)."""
    fields = list(
        CustomField.objects.filter(organisation=organisation, type__in=COUNTED_TYPES)
        .prefetch_related("options")
        .order_by("form", "retired_at", "position", "label")
    )
    counted = {f.pk: f for f in fields if not f.sensitive}
    latest = _latest_answers(organisation, counted, in_period(start, end))
    indicators = _indicators(organisation, counted, latest)
    shown = {item["id"]: item for item in disclosure.apply(indicators, LEVEL)}
    by_form: dict[str, list[FieldFigures]] = {}
    for custom_field in fields:
        figures = FieldFigures(custom_field)
        if not custom_field.sensitive:
            _fill(figures, shown)
        by_form.setdefault(custom_field.form, []).append(figures)
    return [
        FormFigures(form, str(label), by_form[form])
        for form, label in Form.choices
        if form in by_form
    ]


def _latest_answers(
    organisation: Organisation, fields: dict[UUID, CustomField], period: Q
) -> dict[UUID, dict[UUID, Any]]:
    """{field id: {case id: the answer saved last}} from one query over the organisation's
    values of these fields."""
    latest: dict[UUID, dict[UUID, Any]] = {pk: {} for pk in fields}
    if not fields:
        return latest
    rows = (
        CustomValue.objects.filter(period, case__organisation=organisation, field__in=list(fields))
        # Nor what was answered on a contact marked sensitive, kept as its note is for the
        # case's own people (`on_sensitive_contacts`), as a sensitive field's answers are.
        .exclude(on_sensitive_contacts())
        .order_by("updated_at", "pk")
        .values_list("field_id", "case_id", "value")
    )
    for field_id, case_id, value in rows.iterator(chunk_size=CHUNK):
        data = json.loads(value) if value else None
        if data is None or data == "" or data == []:
            latest[field_id].pop(case_id, None)
        else:
            latest[field_id][case_id] = data
    return latest


def _answer_keys(custom_field: CustomField, data: Any) -> list[str]:
    if custom_field.type == FieldType.YES_NO:
        return ["yes" if data else "no"]
    return [str(key) for key in data] if isinstance(data, list) else [str(data)]


def _possible(custom_field: CustomField) -> list[tuple[str, str, bool]]:
    """(key, label, retired) of each answer the field can have, in order."""
    if custom_field.type == FieldType.YES_NO:
        return [("yes", _("Yes"), False), ("no", _("No"), False)]
    return [(o.key, o.shown_label, o.retired) for o in custom_field.options.all()]


class _Keys:
    """Cell keys for the perturbation: each case's record key is the one its dataset row has
    (the pilot and its `case_ref`), the population's the sum of a key of every answer counted."""

    def __init__(self, organisation: Organisation, latest: dict[UUID, dict[UUID, Any]]):
        self.secret = disclosure.Perturbation.of_instance()
        self.records: dict[UUID, int] = {}
        population = 0
        for field_id, answers in latest.items():
            for case_id, data in answers.items():
                ref = _case_ref(case_id)
                if case_id not in self.records:
                    row = {"pilot": organisation.code, "case_ref": ref}
                    self.records[case_id] = self.secret.record(row)
                population += self.secret.of("custom", ref, str(field_id), repr(data))
        self.population = population % disclosure.KEY_SPACE

    def of(self, cases: Iterable[UUID]) -> int:
        return (self.population + sum(self.records[pk] for pk in cases)) % disclosure.KEY_SPACE


def _case_ref(case_id: UUID) -> str:
    """The case's reference in the network dataset (`mel.dataset.rows.case_ref`)."""
    return blind_index("case_ref", str(case_id))


def _indicators(
    organisation: Organisation,
    fields: dict[UUID, CustomField],
    latest: dict[UUID, dict[UUID, Any]],
) -> list[dict[str, Any]]:
    """The counts in the shape `disclosure.apply` protects: for a yes/no or one-choice field a
    count whose breakdown by answer adds up to it (a table); for several choices, the cases who
    answered, and each option as a ratio of them."""
    keys = _Keys(organisation, latest)
    indicators: list[dict[str, Any]] = []
    for pk, custom_field in fields.items():
        answers = latest[pk]
        cases = list(answers)
        chose: dict[str, list[UUID]] = {key: [] for key, *_rest in _possible(custom_field)}
        for case_id, data in answers.items():
            for key in _answer_keys(custom_field, data):
                chose.setdefault(key, []).append(case_id)
        if custom_field.type != FieldType.CHOICES:
            cells = [
                {"key": key, "numerator": len(who), CELL_KEYS: {"numerator": keys.of(who)}}
                for key, who in chose.items()
            ]
            indicators.append(
                {
                    "id": str(pk),
                    "numerator": len(cases),
                    CELL_KEYS: {"numerator": keys.of(cases)},
                    "by": {"answer": cells},
                }
            )
            continue
        indicators.append(
            {"id": str(pk), "numerator": len(cases), CELL_KEYS: {"numerator": keys.of(cases)}}
        )
        for key, who in chose.items():
            indicators.append(
                {
                    "id": f"{pk}:{key}",
                    "numerator": len(who),
                    "denominator": len(cases),
                    "value": percentage(len(who), len(cases)),
                    CELL_KEYS: {"numerator": keys.of(who), "denominator": keys.of(cases)},
                }
            )
    return indicators


def _fill(figures: FieldFigures, shown: dict[str, dict[str, Any]]) -> None:
    custom_field = figures.field
    total = shown[str(custom_field.pk)]
    figures.answered = total["numerator"]
    possible = {key: (label, retired) for key, label, retired in _possible(custom_field)}
    if custom_field.type != FieldType.CHOICES:
        cells = total["by"]["answer"]
    else:
        prefix = f"{custom_field.pk}:"
        cells = [
            {**item, "key": item["id"][len(prefix) :]}
            for item in shown.values()
            if item["id"].startswith(prefix)
        ]
    for cell in cells:
        label, retired = possible.get(cell["key"], (cell["key"], False))
        if cell["key"] not in possible and not cell["numerator"]:
            continue
        figures.lines.append(Line(label, cell["numerator"], cell.get("value"), retired))
