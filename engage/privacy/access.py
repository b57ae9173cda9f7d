"""A person's own data, complete, and nothing about anyone else (right of access, R32).

What is read here is handed over by `privacy.services.hand_over_access`, which records it.

The export walks the model graph from `Person` through every relation that points to it, and
from their cases through every relation that points to a case, so that a model added later is
exported without anyone remembering to. Rows that are about someone else are left out: any row
with a `person` field that is not this person (a household member's plan or consent), the other
members of the household, and staff (named by role only).
"""

import datetime
import json
from collections.abc import Iterator
from typing import Any

from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone

from engage.accounts.models import User
from engage.cases.models import Case, Person, SearchToken
from engage.custom.models import CustomValue
from engage.custom.reading import about_someone_else, for_the_person, on_goals_of
from engage.lib import pdf
from engage.sharing.models import Share

# Not the person's data: keyed hashes for search, and other people.
SKIPPED = {SearchToken, Person, User}
# Internal fields that say nothing to the person.
HIDDEN_FIELDS = {"version", "code_hash", "content"}

# A record as the person reads it (field name: value), by kind of record.
Row = dict[str, object]
PersonData = dict[str, list[Row]]


def _value(field: "models.Field[Any, Any]", obj: models.Model) -> object:
    if isinstance(field, models.ForeignKey):
        related = getattr(obj, field.name)
        if related is None:
            return None
        return related.get_role_display() if isinstance(related, User) else str(related)
    value = getattr(obj, field.attname)
    if field.choices and value not in (None, ""):
        return str(getattr(obj, f"get_{field.name}_display")())
    return value


def _row(obj: models.Model) -> Row:
    return {
        field.name: _value(field, obj)
        for field in obj._meta.concrete_fields
        if field.name not in HIDDEN_FIELDS
    }


def _belongs_to_someone_else(obj: models.Model, person: Person) -> bool:
    person_field = next(
        (f for f in obj._meta.concrete_fields if f.name == "person" and f.is_relation), None
    )
    # The field's value is the row's `person_id`.
    return person_field is not None and person_field.value_from_object(obj) != person.pk


def _children(obj: models.Model) -> Iterator[models.Model]:
    for relation in obj._meta.related_objects:
        if relation.related_model in SKIPPED:
            continue
        accessor = relation.get_accessor_name()
        if accessor is None:  # only a many-to-many to itself has none: not followed anyway
            continue
        if relation.one_to_one:
            child = getattr(obj, accessor, None)
            if child is not None:
                yield child
        elif relation.one_to_many:
            yield from getattr(obj, accessor).all()


def _in_another_case(obj: models.Model, cases: set[object]) -> bool:
    """Whether `obj` is a case, or a row of a case, outside `cases`."""
    if isinstance(obj, Case):
        return obj.pk not in cases
    case_field = next(
        (f for f in obj._meta.concrete_fields if f.name == "case" and f.is_relation), None
    )
    return case_field is not None and case_field.value_from_object(obj) not in cases


def person_data(person: Person, *, for_user: User) -> PersonData:
    """Everything Engage holds about `person` in the cases `for_user` may see, grouped by kind
    of record.

    Another enrollment of the person held outside the user's caseload (a colleague's, before
    or after, or one seen only through a client's household) is left out with everything of
    it: the copy is made by someone who works on the case, and may not read what their scope
    hides, nor what is marked sensitive on a case not theirs (docs/security.md).
    """

    # Only the enrollments the user works on, not those seen through a client's household: a
    # copy made on the client's case for a member who has a case of their own in another team
    # would hold that case's sensitive notes and answers (December 2026 review).
    def worked_on(cases: "models.QuerySet[Case]") -> set[object]:
        cases = cases.select_related("case_manager__team")
        return {case.pk for case in cases if case.shows_sensitive_to(for_user)}

    visible = Case.objects.visible_to(for_user)
    cases = worked_on(visible.filter(person=person))
    # A household member's own records (their consents, who received their data, their plan)
    # are kept in the client's case: theirs, named by their `person`, with what hangs from them
    # (a plan's goals). Only from a client's case the maker works on, as above; never the
    # client's own rows of it (`_belongs_to_someone_else`). Without them a member's copy held
    # their identity alone (docs/security.md, item 56).
    households = (
        worked_on(visible.filter(household_id=person.household_id).exclude(person=person))
        if person.household_id
        else set()
    )
    found: PersonData = {}
    seen: set[tuple[str, object]] = set()
    # Each record with the cases its rows may belong to: a household case only below a row
    # that names the person.
    queue: list[tuple[models.Model, set[object]]] = [(person, cases)]
    while queue:
        obj, allowed = queue.pop(0)
        key = (obj._meta.label_lower, obj.pk)
        if key in seen or (obj is not person and _belongs_to_someone_else(obj, person)):
            continue
        if obj is not person and _names(obj, person):
            allowed = allowed | households
        if _in_another_case(obj, allowed):
            continue
        if isinstance(obj, CustomValue) and about_someone_else(obj, person):
            continue  # an answer on a household member's goal: theirs, not the person's
        if not _read_by(obj, for_user):
            continue  # a register the maker does not read on its own page (the authorities')
        seen.add(key)
        # An answer to an organisation's own field is stored as JSON (an option's key, true):
        # the person reads it in words, under the question as it was asked.
        row = for_the_person(obj) if isinstance(obj, CustomValue) else _row(obj)
        for field in obj._meta.concrete_fields:
            # A link to an enrollment left out (a case's `previous`) does not name it either.
            if (
                field.is_relation
                and field.related_model is Case
                and field.name in row
                and field.value_from_object(obj) not in allowed
            ):
                row[field.name] = None
        if isinstance(obj, Share):
            row["shared_data"] = json.loads(obj.content) if obj.content else None
        found.setdefault(str(obj._meta.verbose_name_plural), []).append(row)
        queue.extend((child, allowed) for child in _children(obj))
    # The answers on a member's goals hang from the client's case by the goal's id alone.
    for value in on_goals_of(person).filter(case_id__in=households).select_related("field"):
        if (value._meta.label_lower, value.pk) not in seen:
            found.setdefault(str(value._meta.verbose_name_plural), []).append(for_the_person(value))
    return found


def _read_by(obj: models.Model, user: User) -> bool:
    """Whether `user` reads rows of `obj`'s kind: a model's `READ_BY` (the register of
    authority requests, the supervisors' and admins') keeps them out of a copy made by anyone
    else, as out of the case's history (docs/security.md)."""
    roles = getattr(type(obj), "READ_BY", None)
    return roles is None or user.role in roles


def _names(obj: models.Model, person: Person) -> bool:
    """Whether `obj` has a `person` field naming `person` (a member's consent, share, plan)."""
    return any(
        f.name == "person" and f.is_relation and f.value_from_object(obj) == person.pk
        for f in obj._meta.concrete_fields
    )


def _default(value: object) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def as_json(data: PersonData) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default)


def as_pdf(data: PersonData, person_label: str) -> bytes:
    html = render_to_string(
        "privacy/subject_export.html",
        {"data": data, "person": person_label, "generated": timezone.now()},
    )
    return pdf.from_html(html)
