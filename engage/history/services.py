"""Reading the change history, and purging a person's part of it at erasure (R22, R34)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

from engage.accounts.models import User
from engage.history.context import purging
from engage.history.models import Change
from engage.lib import crypto

# Bookkeeping columns that change with every save and tell the reader nothing.
NOT_SHOWN = {"id", "version", "updated_at", "created_at"}


@dataclass
class FieldChange:
    name: str
    before: str = ""
    after: str = ""


@dataclass
class Entry:
    change: Change
    record: str
    actor: User | None
    fields: list[FieldChange]
    # The case's reference, on the organisation's list of changes (`organisation_changes`).
    case_reference: str = ""


def purge_person(
    person_id: UUID, case_ids: Iterable[UUID], *, also: Mapping[str, Iterable[UUID]] | None = None
) -> int:
    """Blank the values in the history about a person and their cases (erasure's transaction),
    and of the rows in `also` (model label: ids) about them, recorded under another's case.

    The old and new values go; the rows stay (which record, when, by whom), so the hash chain
    over the history stays whole and `engage verify_audit` still checks the rest of each row.
    The one path by which history rows change: `purging()` lets the database's guard accept
    this blanking, and nothing else, for this transaction only. Return how many rows.
    """
    rows = Change.objects.filter(
        models.Q(person_id=person_id)
        | models.Q(case_id__in=list(case_ids))
        | models.Q(model="cases.person", object_id=person_id)
    )
    for label, ids in (also or {}).items():
        rows |= Change.objects.filter(model=label, object_id__in=list(ids))
    rows = rows.exclude(before__isnull=True, after__isnull=True)
    with purging():
        return models.QuerySet.update(rows, before=None, after=None)


# Models that moved to another app with their table: changes recorded before name the old one.
MOVED = {"sharing.subjectrequest": "privacy.subjectrequest"}


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(MOVED.get(label, label))
    except LookupError:
        return None


def _decrypted(value: Any) -> object:
    if value in (None, ""):
        return value
    try:
        return crypto.decrypt(value)
    except Exception:  # an undecryptable old value (its key retired) still counts as a change
        return object()


def _shown(field: "models.Field[Any, Any] | None", value: Any, people: dict[Any, User]) -> str:
    if value in (None, ""):
        return "—"
    if field is None:
        return str(value)
    if getattr(field, "encrypted", False):
        plain = _decrypted(value)
        return plain if isinstance(plain, str) else _("(no longer readable)")
    if field.is_relation:
        if field.related_model is User:
            user = people.get(_uuid(value))
            return user.get_full_name() or user.username if user else _("a colleague")
        return _("another record")
    if isinstance(field, models.BooleanField):
        return _("yes") if value in (True, 1, "1", "true") else _("no")
    if field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _field_changes(
    change: Change, *, with_values: bool, people: dict[Any, User]
) -> list[FieldChange]:
    model = _model(change.model)
    by_column = {f.column: f for f in model._meta.concrete_fields} if model else {}
    before, after = change.before or {}, change.after or {}
    result = []
    for column in sorted(set(before) | set(after)):
        if column in NOT_SHOWN:
            continue
        field = by_column.get(column)
        old, new = before.get(column), after.get(column)
        if change.operation == Change.Operation.INSERT and new in (None, "", False, 0, "[]"):
            continue
        if (
            change.operation == Change.Operation.UPDATE
            and field is not None
            and getattr(field, "encrypted", False)
            and _decrypted(old) == _decrypted(new)
        ):
            # Encryption gives a fresh ciphertext on every save: same value, not a change.
            continue
        name = str(field.verbose_name) if field is not None else column
        if with_values:
            result.append(FieldChange(name, _shown(field, old, people), _shown(field, new, people)))
        else:
            result.append(FieldChange(name))
    return result


def hidden_from(user: User, case: object, changes: Iterable[Change]) -> set[object]:
    """The changes whose values `user` may not read on `case`, as each model says
    (`history_values_hidden`: a custom field's sensitive answers), so `history` imports none."""
    by_model: dict[str, list[Change]] = {}
    for change in changes:
        by_model.setdefault(change.model, []).append(change)
    hidden: set[object] = set()
    for label, rows in by_model.items():
        rule = getattr(_model(label), "history_values_hidden", None)
        if rule is not None:
            hidden |= rule(user, case, rows)
    return hidden


def describe(
    changes: Iterable[Change], *, with_values: bool, hidden: set[object] | None = None
) -> list[Entry]:
    """Who changed which fields of which record, when; with the values only if `with_values`,
    and never those of the changes in `hidden`.

    Values of encrypted fields are decrypted only for display to someone who may read them;
    without `with_values` only field names come out.
    """
    changes = list(changes)
    hidden = hidden or set()
    wanted: set[UUID | None] = {c.actor_id for c in changes if c.actor_id}
    if with_values:
        for change in changes:
            model = _model(change.model)
            columns = {
                f.column
                for f in (model._meta.concrete_fields if model else [])
                if f.is_relation and f.related_model is User
            }
            for values in (change.before or {}, change.after or {}):
                wanted |= {_uuid(v) for k, v in values.items() if k in columns and v}
    people = User.objects.in_bulk([pk for pk in wanted if pk])
    entries = []
    for change in changes:
        model = _model(change.model)
        record = str(model._meta.verbose_name) if model else change.model
        fields = _field_changes(
            change, with_values=with_values and change.pk not in hidden, people=people
        )
        if with_values and change.pk in hidden:
            for each in fields:
                each.before = each.after = _("(sensitive)")
        if change.operation == Change.Operation.UPDATE and not fields:
            continue
        entries.append(Entry(change, record, people.get(change.actor_id), fields))
    return entries


def data_version() -> str:
    """The head of the change history: its last sealed position and its last row.

    Every insert, update and delete of a case's records writes a row (the triggers), and no row
    is ever removed (erasure blanks values), so the head moves with every change of the data.
    The position is given when a transaction commits, in commit order (PostgreSQL), so a write
    committed after a later-numbered one still moves it; the row's id moves inside the
    transaction that wrote it. Two numbers read through indexes, no row of anyone's data: hence
    the table's plain manager, in no organisation's scope.
    """
    rows = Change._base_manager
    # `seq IS NOT NULL`: the partial unique index's condition, so both databases use it.
    seq = rows.filter(seq__isnull=False).aggregate(last=models.Max("seq"))["last"]
    last = rows.aggregate(last=models.Max("id"))["last"]
    return f"{seq or 0}.{last or 0}"
