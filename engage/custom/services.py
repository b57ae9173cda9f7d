"""Defining an organisation's own fields and storing their values.

The rules of changing a field safely (issue 15, item 2): a field in use may be renamed,
reordered, made optional or retired (hidden from the forms, its values kept and shown on old
records); its type cannot change once it has values; only a field never used may be deleted.
Every change is audited with who and when.
"""

import datetime
import decimal
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from engage.accounts.models import Organisation, Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record, record_each
from engage.cases import workflow
from engage.cases.models import Case
from engage.custom.models import (
    CHOICE_TYPES,
    ChoiceOption,
    CustomField,
    CustomValue,
    FieldType,
    Form,
)
from engage.lib.concurrency import ConcurrentEditError, lock_against_deletion, save_versioned
from engage.lib.queries import keep_as_prefetched, read_together
from engage.lib.translations import COUNTRY_LANGUAGES, clean_translations, in_language

# What an admin may set on a field; `type` and `key` only while it has no values.
EDITABLE = (
    "label",
    "label_translations",
    "help_text",
    "help_text_translations",
    "required",
    "after",
    "min_value",
    "max_value",
    "condition_field",
    "condition_value",
    "sensitive",
)

# How many fields a form of the process takes of an organisation's own (retired ones too: they
# are read with the form), and how many options a choice field: every case page draws them,
# and a configuration file of 2 MB held 150,000 options (docs/custom-fields.md).
MAX_FIELDS_PER_FORM = 100
MAX_OPTIONS = 250


def too_many_fields(form: str) -> str:
    return _("The form “%(form)s” takes at most %(limit)s fields of your own.") % {
        "form": Form(form).label,
        "limit": MAX_FIELDS_PER_FORM,
    }


def too_many_options() -> str:
    return _("A field takes at most %(limit)s options.") % {"limit": MAX_OPTIONS}


# Reading


def form_fields(
    organisation: Organisation,
    form: str,
    *,
    for_user: User | None = None,
    case: Case | None = None,
    include_retired: bool = False,
) -> list[CustomField]:
    """Return the organisation's fields of `form` in their order, with their options.

    Sensitive fields are left out for a user who may not see them on `case`
    (`sees_sensitive`); with no user, all are returned (the admin's own pages).
    """
    # The form's fields, retired ones too (the condition of a field may be one), and their
    # options: one query (the case page's budget, issue 17), a few rows each, or none when the
    # page read them with the case's answers (`reading.read_for_page`).
    read = case.__dict__.get(read_key(organisation.pk, form)) if case is not None else None
    every, options = (
        read if read is not None else read_together(*form_querysets(organisation.pk, form))
    )
    by_pk = with_options(every, options)
    for field in every:
        if (condition := by_pk.get(field.condition_field_id)) is not None:
            CustomField.condition_field.field.set_cached_value(field, condition)
    found = [field for field in every if include_retired or field.retired_at is None]
    # Who may see them is asked only when there is a sensitive field (a query for the team).
    if (
        for_user is not None
        and any(field.sensitive for field in found)
        and not sees_sensitive(for_user, case)
    ):
        found = [field for field in found if not field.sensitive]
    return sorted(_askable(found), key=lambda field: field.position)


def _askable(fields: list[CustomField]) -> list[CustomField]:
    """`fields` without those shown only after an answer to a field not among them (retired
    since, or not shown to this user), nor those shown after one of these: nobody can give that
    answer on the form any more, so such a field was always hidden, and saving the record
    deleted the answer it holds. Left out, it keeps its answers as given, as a retired field
    does."""
    while True:
        on_form = {field.pk for field in fields}
        kept = [
            field
            for field in fields
            if field.condition_field_id is None or field.condition_field_id in on_form
        ]
        if len(kept) == len(fields):
            return kept
        fields = kept


def form_querysets(
    organisation_id: UUID, form: str
) -> tuple["QuerySet[CustomField]", "QuerySet[ChoiceOption]"]:
    """The organisation's fields of `form`, retired ones too, and their options, as
    `form_fields` reads them (in one query: `read_together`)."""
    return (
        CustomField.objects.filter(organisation_id=organisation_id, form=form),
        ChoiceOption.objects.filter(field__organisation_id=organisation_id, field__form=form),
    )


def read_key(organisation_id: UUID, form: str) -> str:
    """Where a case object keeps its organisation's fields of `form` and their options, read
    beforehand for its page (`reading.read_for_page`), for `form_fields` to find."""
    return f"_custom_fields_{organisation_id}_{form}"


def with_options(fields: list[CustomField], options: list[ChoiceOption]) -> dict[Any, CustomField]:
    """Give each of `fields` its `options` read with them (`read_together`), as a prefetch
    would; return the fields by id."""
    by_field: dict[Any, list[ChoiceOption]] = defaultdict(list)
    for option in options:
        by_field[option.field_id].append(option)
    for field in fields:
        keep_as_prefetched(field, "options", by_field[field.pk])
    return {field.pk: field for field in fields}


def sees_sensitive(user: User, case: Case | None) -> bool:
    """Whether `user` sees the sensitive fields of `case`: its own case manager and their
    supervisor (the leader of the case manager's team). On a new referral (no case yet) the
    person registering it does."""
    if case is None:
        return user.role in (Role.CASE_MANAGER, Role.SUPERVISOR)
    return case.shows_sensitive_to(user)


def values_for(case: Case, form: str, record_id: object) -> dict[str, CustomValue]:
    """The values of one record, by field key."""
    return values_for_records(case, form, [record_id]).get(str(record_id), {})


def values_for_records(
    case: Case, form: str, record_ids: Iterable[object]
) -> dict[str, dict[str, CustomValue]]:
    """The values of many records of a case in one query: {record id: {field key: value}}."""
    ids = [str(pk) for pk in record_ids]
    rows = CustomValue.objects.filter(case=case, field__form=form, record_id__in=ids)
    found: dict[str, dict[str, CustomValue]] = defaultdict(dict)
    for value in rows.select_related("field").prefetch_related("field__options"):
        found[value.record_id][value.field.key] = value
    return dict(found)


def values_of_case(case: Case) -> list[CustomValue]:
    """Every value of a case, with its field and options, in one query and one prefetch."""
    rows = CustomValue.objects.filter(case=case).select_related("field")
    return list(rows.prefetch_related("field__options").order_by("field__form", "field__position"))


def shown_value(value: CustomValue) -> str:
    """The value as a person reads it: options by label, yes/no in words, a service by name."""
    return display(value.field, value.data)


def display(field: CustomField, data: Any) -> str:
    if data is None or data == "" or data == []:
        return ""
    if field.type == FieldType.YES_NO:
        return _("Yes") if data else _("No")
    if field.type in CHOICE_TYPES:
        labels = {option.key: option.shown_label for option in field.options.all()}
        keys = data if isinstance(data, list) else [data]
        return ", ".join(labels.get(str(key), str(key)) for key in keys)
    if field.type == FieldType.SERVICE:
        from engage.directory.models import Service

        service = Service.objects.filter(organisation=field.organisation_id, pk=data).first()
        return service.name if service else ""
    if field.type == FieldType.DATE:
        from django.utils.formats import date_format

        return date_format(datetime.date.fromisoformat(data), "SHORT_DATE_FORMAT")
    return str(data)


# Values


def to_json(field: CustomField, value: Any) -> str:
    """The stored form of a cleaned value ("" for no answer)."""
    if value is None or value == "" or value == [] or value == ():
        return ""
    if field.type == FieldType.NUMBER:
        data: Any = str(decimal.Decimal(value))
    elif field.type == FieldType.DATE:
        data = value.isoformat()
    elif field.type == FieldType.YES_NO:
        # The form sends "yes" or "no"; the API a boolean.
        data = value == "yes" if isinstance(value, str) else bool(value)
    elif field.type == FieldType.CHOICES:
        data = [str(key) for key in value]
    elif field.type == FieldType.SERVICE:
        data = str(getattr(value, "pk", value))
    else:
        data = str(value)
    return json.dumps(data, ensure_ascii=False)


def from_json(field: CustomField, data: Any) -> Any:
    """The Python value of a stored value, as a form field takes it as initial."""
    if data is None:
        return None
    if field.type == FieldType.NUMBER:
        return decimal.Decimal(data)
    if field.type == FieldType.DATE:
        return datetime.date.fromisoformat(data)
    if field.type == FieldType.YES_NO:
        return "yes" if data else "no"
    return data


def organisation_language(organisation: Organisation) -> str:
    """The language the organisation works in: its country's first, or English."""
    return COUNTRY_LANGUAGES.get(str(organisation.country), ("en",))[0]


def _audited_key(field: CustomField) -> str:
    """How the audit log names an answered field: by its key, or as "sensitive" for a
    sensitive one, which question was answered on a case being for the case's own people,
    not for the admin who reads the log (December 2026 review)."""
    return "sensitive" if field.sensitive else field.key


def _on_sensitive_contacts(form: str, records: Iterable[tuple[Case, object]]) -> set[str]:
    """The ids (as text) of those of `records` (case, record id) that are contacts marked
    sensitive: the audit log names their questions "sensitive" too, since which were answered
    tells what the contact was about (a question shown only after a given answer tells that
    answer). The base manager, as `models.on_sensitive_contacts`: each id is looked for among
    its own case's contacts only."""
    if form != Form.CONTACT:
        return set()
    from engage.cases.models import Contact

    wanted: dict[Any, set[UUID]] = defaultdict(set)
    for case, record_id in records:
        try:
            wanted[case.pk].add(UUID(str(record_id)))
        except ValueError:
            continue  # not a contact's id
    found: set[str] = set()
    for case_pk, ids in wanted.items():
        rows = Contact._base_manager.filter(case_id=case_pk, pk__in=ids, sensitive=True)
        found |= {str(pk) for pk in rows.values_list("pk", flat=True)}
    return found


@transaction.atomic
def save_values(
    case: Case,
    form: str,
    record_id: object,
    values: Mapping[str, Any],
    *,
    by: User,
    fields: Iterable[CustomField] | None = None,
) -> list[CustomValue]:
    """Store the cleaned `values` {field key: value} of one record.

    Only the keys given are written (a field the user did not see keeps its value); an empty
    answer removes a stored one. Called inside the transaction of the record's own service.
    """
    if form == Form.REFERRAL:
        # The referral's answers are the one record changed outside a step of the process
        # (the API's change of a case, a reassignment's too), which would refuse them for an
        # erased person (`workflow.require_step`): their data again, which no erasure reaches.
        workflow.refuse_if_erased(case)
    known = {
        field.key: field
        for field in (
            fields
            if fields is not None
            else form_fields(case.organisation, form, include_retired=True)
        )
    }
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValidationError(
            {f"custom_{key}": _("There is no such field on this form.") for key in unknown}
        )
    texts = {key: to_json(known[key], value) for key, value in values.items()}
    lock_answered_fields([known[key] for key, text in texts.items() if text])
    existing = {
        value.field_id: value
        for value in CustomValue.objects.filter(
            field__in=[known[key] for key in values], record_id=str(record_id)
        )
    }
    language = organisation_language(case.organisation)
    saved, changed = [], []
    for key, text in texts.items():
        field = known[key]
        stored = existing.get(field.pk)
        if not text:
            if stored is not None:
                stored.delete()
                changed.append(_audited_key(field))
            continue
        if stored is not None and stored.value == text:
            saved.append(stored)
            continue
        label = in_language(field.label, field.label_translations, language)
        if stored is None:
            stored = CustomValue(case=case, field=field, record_id=str(record_id))
        stored.value, stored.label_at_entry, stored.updated_by = text, label, by
        stored.save()
        saved.append(stored)
        changed.append(_audited_key(field))
    if changed and _on_sensitive_contacts(form, [(case, record_id)]):
        changed = ["sensitive"]
    if changed:
        # The field keys only: the values are personal data and stay out of the audit log.
        keys = ",".join(dict.fromkeys(changed))
        record(by, AuditEvent.Action.UPDATE, case, detail=f"custom:{form}:{keys}"[:200])
    return saved


@transaction.atomic
def add_answers(
    form: str,
    answers: Iterable[tuple[Case, object, Mapping[str, Any]]],
    *,
    by: User,
    fields: Iterable[CustomField],
) -> list[CustomValue]:
    """Store the cleaned answers of many records that have none yet, in one insert.

    `answers` holds (case, record id, {field key: value}) for records of `form`. What
    `save_values` does for one record, for many: the same stored form and label at entry,
    encrypted by the model's field, written in the history by the database's triggers, one
    audit entry per record naming the keys. A record that already has an answer to one of
    these fields goes through `save_values` instead (refused here).
    """
    known = {field.key: field for field in fields}
    if any(field.form != form for field in known.values()):
        raise ValueError(f"fields of another form than {form}")
    answered = set(
        CustomValue.objects.filter(field__in=list(known.values())).values_list(
            "field_id", "record_id"
        )
    )
    answers = list(answers)
    hidden = _on_sensitive_contacts(form, [(case, record_id) for case, record_id, _ in answers])
    labels: dict[str, str] = {}
    rows: list[CustomValue] = []
    entries: list[tuple[Case, str]] = []
    for case, record_id, values in answers:
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValidationError(
                {f"custom_{key}": _("There is no such field on this form.") for key in unknown}
            )
        given = []
        for key, value in values.items():
            field, text = known[key], to_json(known[key], value)
            if not text:
                continue
            if field.organisation_id != case.organisation_id:
                raise ValueError(f"{key} is not a field of the case's organisation")
            if (field.pk, str(record_id)) in answered:
                raise ValueError(f"{form} record {record_id} already answers {key}")
            if key not in labels:
                language = organisation_language(case.organisation)
                labels[key] = in_language(field.label, field.label_translations, language)
            rows.append(
                CustomValue(
                    case=case,
                    field=field,
                    record_id=str(record_id),
                    value=text,
                    label_at_entry=labels[key],
                    updated_by=by,
                )
            )
            given.append(_audited_key(field))
        if given and str(record_id) in hidden:
            given = ["sensitive"]
        if given:
            entries.append((case, f"custom:{form}:{','.join(dict.fromkeys(given))}"[:200]))
    lock_answered_fields([row.field for row in rows])
    saved = CustomValue.objects.bulk_create(rows, batch_size=500)
    record_each(by, AuditEvent.Action.UPDATE, entries)
    return saved


def lock_answered_fields(fields: Iterable[CustomField]) -> None:
    """Hold the fields about to be answered against their deletion until the answers commit,
    and refuse those no longer stored. A deletion at the same instant (`delete_field`, which
    locks the field first) waits, then sees the answers and refuses; one just before leaves a
    field this refuses, rather than an answer to nothing. Saves of answers to the same field
    do not wait for each other. Called inside the transaction that writes the answers."""
    wanted = {field.pk: field for field in fields}
    if not wanted:
        return
    stored = set(lock_against_deletion(CustomField._base_manager.filter(pk__in=list(wanted))))
    gone = [field for pk, field in wanted.items() if pk not in stored]
    if gone:
        raise ValidationError(
            {f"custom_{field.key}": _("There is no such field on this form.") for field in gone}
        )


# Defining fields


def _audit(by: User, action: str, field: CustomField, detail: str) -> None:
    record(by, action, field, detail=detail[:200], organisation_id=field.organisation_id)


def _check_definition(field: CustomField) -> None:
    errors: dict[str, str] = {}
    if field.type != FieldType.NUMBER:
        field.min_value = field.max_value = None
    elif (
        field.min_value is not None
        and field.max_value is not None
        and field.min_value > field.max_value
    ):
        errors["max_value"] = _("The largest number is smaller than the smallest.")
    condition = field.condition_field
    if condition is None:
        field.condition_value = ""
    elif (
        condition.organisation_id != field.organisation_id
        or condition.form != field.form
        or condition.pk == field.pk
    ):
        errors["condition_field"] = _("Choose another field of the same form.")
    elif condition.sensitive and not field.sensitive:
        # Shown only after a sensitive answer, its own answer tells that one to whoever reads
        # it (and its help names the question and the answer).
        errors["sensitive"] = _(
            "This field is shown only after an answer to a sensitive field: tick “Sensitive”."
        )
    elif not field.condition_value.strip():
        errors["condition_value"] = _("Say which answer shows this field.")
    elif condition.type == FieldType.YES_NO and field.condition_value not in ("yes", "no"):
        errors["condition_value"] = _("For a yes or no question, write yes or no.")
    elif (
        condition.type in CHOICE_TYPES
        and not condition.options.filter(key=field.condition_value).exists()
    ):
        errors["condition_value"] = _("Give the key of one of that field's options.")
    if field.after and field.after not in built_in_names(field.form):
        errors["after"] = _("Choose a field of this form.")
    if errors:
        raise ValidationError(errors)


def built_in_names(form: str) -> list[str]:
    """The names of the built-in fields of a process form, in their order."""
    from engage.custom.forms import built_in_fields

    return [name for name, _label in built_in_fields(form)]


def unique_key(organisation: Organisation, form: str, wanted: str) -> str:
    base = (slugify(wanted).replace("-", "_") or "field")[:36]
    taken = set(
        CustomField.objects.filter(organisation=organisation, form=form).values_list(
            "key", flat=True
        )
    )
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    return key


@transaction.atomic
def define_field(
    organisation: Organisation,
    *,
    by: User,
    form: str,
    type: str,
    label: str,
    key: str = "",
    options: Iterable[str | Mapping[str, Any]] = (),
    **settings: Any,
) -> CustomField:
    """Add a field at the end of its place on `form`, with its choice options if any."""
    if form not in Form.values:
        raise ValidationError({"form": _("Choose a form of the process.")})
    if type not in FieldType.values:
        raise ValidationError({"type": _("Choose a type.")})
    unknown = set(settings) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not a setting of a field: {sorted(unknown)}")
    options = list(options)
    if len(options) > MAX_OPTIONS:
        raise ValidationError({"options": too_many_options()})
    if type in CHOICE_TYPES and not options:
        # Saved without, it was a question with nothing to answer (its options are added on
        # its page afterwards, but a field is used from the moment it exists).
        raise ValidationError({"options": _("Give a choice field its options, one per line.")})
    wanted = key.strip() or label
    if key and CustomField.objects.filter(organisation=organisation, form=form, key=key).exists():
        raise ValidationError({"key": _("Another field of this form has this key.")})
    on_form = CustomField.objects.filter(organisation=organisation, form=form)
    if on_form.count() >= MAX_FIELDS_PER_FORM:
        raise ValidationError(too_many_fields(form))
    highest = on_form.aggregate(highest=Max("position"))["highest"]
    field = CustomField(
        organisation=organisation,
        form=form,
        type=type,
        key=key.strip() or unique_key(organisation, form, wanted),
        label=label.strip(),
        position=(highest or 0) + 1,
        created_by=by,
        updated_by=by,
        **settings,
    )
    field.label_translations = clean_translations(field.label_translations)
    field.help_text_translations = clean_translations(field.help_text_translations)
    _check_definition(field)
    field.save()
    for option in options:
        if isinstance(option, Mapping):
            add_option(field, by=by, **option, audit=False)
        else:
            add_option(field, by=by, label=option, audit=False)
    _audit(by, AuditEvent.Action.CREATE, field, f"custom field {form}:{field.key} ({type})")
    return field


def has_values(field: CustomField) -> bool:
    return CustomValue.objects.filter(field=field).exists()


@transaction.atomic
def update_field(
    field: CustomField, *, by: User, expected_version: int | None = None, **changes: Any
) -> CustomField:
    """Change a field's settings (its label, help, place, bounds, condition...), if no one
    else did since `expected_version` (ConcurrentEditError; None: the caller read no form).

    The type may change only while the field has no values; the key never does once in use.
    """
    # Every field of the form, locked in key order as answers' saves lock theirs
    # (`lock_answered_fields`): the check for answers below waits for those being saved, and
    # making the dependants sensitive with it never waits in a circle with one of them.
    same_form = CustomField.objects.filter(organisation=field.organisation_id, form=field.form)
    locked = {other.pk: other for other in same_form.select_for_update().order_by("pk")}
    field = locked[field.pk]
    if expected_version is not None and field.version != expected_version:
        raise ConcurrentEditError
    new_type = changes.pop("type", field.type)
    new_key = changes.pop("key", field.key)
    used = has_values(field)
    if new_type != field.type:
        if used:
            raise ValidationError(
                {"type": _("This field has answers: its type can no longer change.")}
            )
        if new_type not in FieldType.values:
            raise ValidationError({"type": _("Choose a type.")})
    if new_key != field.key:
        if used:
            raise ValidationError(
                {"key": _("This field has answers: its key can no longer change.")}
            )
        if (
            CustomField.objects.filter(
                organisation=field.organisation_id, form=field.form, key=new_key
            )
            .exclude(pk=field.pk)
            .exists()
        ):
            raise ValidationError({"key": _("Another field of this form has this key.")})
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not a setting of a field: {sorted(unknown)}")
    if field.sensitive and changes.get("sensitive") is False and used:
        # Its answers were given as sensitive, for the case's own workers only: unmarked, they
        # went to everyone in scope and into the organisation's own export.
        raise ValidationError(
            {"sensitive": _("This field has answers given as sensitive: it stays sensitive.")}
        )
    before = {name: getattr(field, name) for name in EDITABLE} | {"type": field.type}
    for name, value in changes.items():
        setattr(field, name, value)
    field.type, field.key = new_type, new_key
    field.label_translations = clean_translations(field.label_translations)
    field.help_text_translations = clean_translations(field.help_text_translations)
    _check_definition(field)
    field.updated_by, field.version = by, field.version + 1
    field.save()
    if field.sensitive:
        # A field shown only after one of its answers tells that answer: sensitive with it.
        for dependent in CustomField.objects.filter(condition_field=field, sensitive=False):
            update_field(dependent, by=by, sensitive=True)
    after = {name: getattr(field, name) for name in EDITABLE} | {"type": field.type}
    names = sorted(name for name in after if after[name] != before[name])
    _audit(by, AuditEvent.Action.UPDATE, field, f"custom field {field.key}: {','.join(names)}")
    return field


@transaction.atomic
def move_field(field: CustomField, *, by: User, up: bool) -> None:
    """Swap a field with the one before (or after) it among the fields in the same place."""
    # No key lock: a position is all that changes, and answers being saved to these fields
    # (`lock_answered_fields`) are not waited for, nor wait.
    siblings = list(
        CustomField.objects.select_for_update(no_key=True)
        .filter(organisation=field.organisation_id, form=field.form, after=field.after)
        .order_by("position", "label")
    )
    index = next(i for i, other in enumerate(siblings) if other.pk == field.pk)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(siblings):
        return
    siblings[index], siblings[other_index] = siblings[other_index], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    _audit(by, AuditEvent.Action.UPDATE, field, f"custom field {field.key}: position")


@transaction.atomic
def retire_field(field: CustomField, *, by: User, retired: bool = True) -> None:
    """Hide a field from the forms (or bring it back); its values stay on the records."""
    field.retired_at = timezone.now() if retired else None
    field.updated_by = by
    field.save(update_fields=["retired_at", "updated_by", "updated_at"])
    _audit(
        by,
        AuditEvent.Action.UPDATE,
        field,
        f"custom field {field.key}: {'retired' if retired else 'back in use'}",
    )


@transaction.atomic
def delete_field(field: CustomField, *, by: User) -> None:
    """Delete a field that was never used; one with answers can only be retired.

    The field is read locked first: an answer being saved to it holds it
    (`lock_answered_fields`) until its commit, and is then seen here, rather than deleted with
    the field (or the deletion a server error)."""
    locked = CustomField.objects.select_for_update().filter(pk=field.pk).first()
    if locked is None:
        return  # deleted meanwhile: nothing left to do
    field = locked
    if has_values(field):
        raise ValidationError(
            _("This field has answers on some records: retire it instead of deleting it.")
        )
    if field.dependants.exists():
        raise ValidationError(_("Another field is shown depending on this one: change it first."))
    # The audit log has no "deleted" action of its own: a change, saying so.
    _audit(by, AuditEvent.Action.UPDATE, field, f"custom field {field.form}:{field.key} deleted")
    field.delete()


# Choice options


def add_option(
    field: CustomField,
    *,
    by: User,
    label: str,
    key: str = "",
    label_translations: Mapping[str, str] | None = None,
    retired: bool = False,
    audit: bool = True,
) -> ChoiceOption:
    """Add an answer at the end of a choice field's list."""
    if field.type not in CHOICE_TYPES:
        raise ValidationError(_("Only a choice field has options."))
    if not label.strip():
        raise ValidationError({"label": _("This field is required.")})
    taken = set(field.options.values_list("key", flat=True))
    if len(taken) >= MAX_OPTIONS:
        raise ValidationError(too_many_options())
    base = (slugify(key or label).replace("-", "_") or "option")[:36]
    if key and key in taken:
        raise ValidationError({"key": _("Another option of this field has this key.")})
    new_key, number = base, 2
    while new_key in taken:
        new_key, number = f"{base}_{number}", number + 1
    highest = field.options.aggregate(highest=Max("position"))["highest"]
    option = ChoiceOption.objects.create(
        field=field,
        key=new_key,
        label=label.strip(),
        label_translations=clean_translations(label_translations or {}),
        position=(highest or 0) + 1,
        retired=retired,
    )
    if audit:
        _audit(
            by, AuditEvent.Action.UPDATE, field, f"custom field {field.key}: option {new_key} added"
        )
    return option


@transaction.atomic
def update_option(
    option: ChoiceOption,
    *,
    by: User,
    label: str,
    expected_version: int,
    label_translations: Mapping[str, str] | None = None,
) -> None:
    """Rename an option (its key, and so the stored answers, stay), if no one else renamed it
    since `expected_version` (ConcurrentEditError)."""
    if not label.strip():
        raise ValidationError({"label": _("This field is required.")})
    option.label = label.strip()
    option.label_translations = clean_translations(label_translations or {})
    save_versioned(
        option, expected_version=expected_version, fields=["label", "label_translations"]
    )
    _audit(by, AuditEvent.Action.UPDATE, option.field, f"custom field option {option.key}: label")


@transaction.atomic
def retire_option(option: ChoiceOption, *, by: User, retired: bool = True) -> None:
    """No longer offer an option (or offer it again); answers given with it stay."""
    option.retired = retired
    option.save(update_fields=["retired"])
    state = "retired" if retired else "back in use"
    _audit(by, AuditEvent.Action.UPDATE, option.field, f"custom field option {option.key}: {state}")


@transaction.atomic
def move_option(option: ChoiceOption, *, by: User, up: bool) -> None:
    options = list(option.field.options.select_for_update().order_by("position", "label"))
    index = next(i for i, other in enumerate(options) if other.pk == option.pk)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(options):
        return
    options[index], options[other_index] = options[other_index], options[index]
    for position, each in enumerate(options, start=1):
        if each.position != position:
            each.position = position
            each.save(update_fields=["position"])
    _audit(
        by, AuditEvent.Action.UPDATE, option.field, f"custom field option {option.key}: position"
    )


def fields_of(organisation: Organisation) -> QuerySet[CustomField]:
    """Every field of the organisation, for its admin's pages."""
    return CustomField.objects.filter(organisation=organisation)


def get_field_for_admin(user: User, pk: UUID) -> CustomField:
    """A field of the user's organisation for its admin's pages, or 404 (another
    organisation's field is not found either)."""
    from django.http import Http404

    if user.organisation_id is None:
        raise Http404
    found = (
        CustomField.objects.filter(organisation_id=user.organisation_id, pk=pk)
        .select_related("condition_field")
        .first()
    )
    if found is None:
        raise Http404
    return found


def get_option(field: CustomField, pk: UUID) -> ChoiceOption:
    """An option of `field`, or 404."""
    from django.http import Http404

    found = ChoiceOption.objects.filter(field=field, pk=pk).first()
    if found is None:
        raise Http404
    return found
