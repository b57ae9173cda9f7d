"""The rights of the people whose data we hold: every write behind them (R32-R35).

Their requests (`record_request`), the copy of their data handed over (`hand_over_access`),
erasure at their request (`erase_on_request`) and the retention applied to everyone
automatically (`apply_retention`). Rectification is the correction of the person's identity,
which `cases.services.update_identity` writes (the case's identity page, reached from the
person's requests, and the API's client); the fields corrected are shown as such.

Erasure of a person's identity, and retention applied to it automatically (R34, R35):

Erasure removes every identifying trace: the person's identity fields, their search tokens,
every free-text field in the records of their cases (notes can name anyone), the data held in
shares, the identity checks of their requests, and any uploaded spreadsheet still waiting to be
imported that lists them. The organisation's registers (models with `KEPT_ON_ERASURE`, the
register of data requests from authorities) are not the person's: their rows stay, and only
their link to the person and their cases is cut. The de-identified facts stay (stage, dates,
referral facts, ratings, counts, outcome, closure reason, sex, nationality, and the age band at
referral, computed before the date of birth goes), so the network's statistics give the same
numbers before and after. The audit log never held personal values; it gains one entry saying
which person (by a short hash of their id) was erased, by whom. Models marked
`DELETED_ON_ERASURE` (the answers to an organisation's own fields) lose their rows. The change history about the
person and their cases (old values, even encrypted, are personal data) is purged.

What counts as free text is found by introspection: every encrypted text field of every model
related to the person or their cases, so a model added later is covered.

Erasure finds a document's or an upload's file by its row. A file whose row never committed
(its transaction rolled back) names nobody Engage can find, so retention's daily run deletes
every such file (`sweep_orphan_files`, lib.encrypted_files), and `engage sweep_files` does it
at once.
"""

import calendar
import datetime
import hashlib
from collections.abc import Mapping
from typing import Any, cast
from uuid import UUID

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.accounts.models import Organisation, Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases import workflow
from engage.cases.facts import case_age_band
from engage.cases.models import Case, Person, PossibleDuplicate, SearchToken
from engage.cases.models.case import OPEN_STAGES
from engage.custom.reading import on_goals_of
from engage.documents import storage as document_files
from engage.documents.models import Document
from engage.documents.services import remove as remove_document
from engage.history.context import purging as history_purging
from engage.history.services import purge_person as purge_history
from engage.imports import storage as import_files
from engage.imports.services import forget_files_holding as forget_import_files
from engage.privacy.access import PersonData, person_data
from engage.privacy.forms import people_of
from engage.privacy.models import SubjectRequest

IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "phone",
    "email",
    "address",
    "document_number",
    "languages",
)
ERASED_NAME = "—"


# The person's requests


@transaction.atomic
def record_request(
    case: Case, *, by: User, data: Mapping[str, Any], request: HttpRequest | None = None
) -> SubjectRequest:
    """Record what a person of this case (the client or their household) asks about their data."""
    person: Person = data["person"]
    if not people_of(case).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("Choose the client or a member of their household.")})
    # Read as stored, locked as erasure locks it: a request in the name of a person erased
    # would keep its identity check for good, a person erased once not being erased again
    # (item 60). A household member of an erased client still asks.
    if Person.objects.select_for_update().filter(pk=person.pk, erased_at__isnull=False).exists():
        raise ValidationError({"person": workflow.ERASED})
    entry = SubjectRequest.objects.create(
        person=person,
        case=case,
        kind=data["kind"],
        requested_on=data["requested_on"],
        identity_check=data["identity_check"],
        recorded_by=by,
    )
    record(by, AuditEvent.Action.CREATE, entry, request=request)
    return entry


COPY_MADE_BY = gettext_lazy(
    "The case's own case manager or their supervisor makes the copy: it holds everything "
    "recorded about the person, the notes and answers marked sensitive included."
)


ERASED_BY = gettext_lazy("The supervisor of the case's team erases the person's data.")


def may_erase(entry: SubjectRequest, user: User) -> bool:
    """Whether `user` erases the person of `entry`: the supervisor of the team of the case
    that holds them now, their latest own enrollment (else the case the request is on, for a
    household member with no case of their own). Not a supervisor who sees that case through a
    client's household, nor one whose team's case holds the person only as a member: the
    erasure cannot be undone, takes every case of the person, and is that team's to decide."""
    if user.role != Role.SUPERVISOR:
        return False
    holding = (
        Case.objects.filter(person=entry.person)
        .select_related("case_manager__team")
        .order_by("-referral_date", "-created_at")
        .first()
    ) or entry.case
    return holding.shows_sensitive_to(user)


@transaction.atomic
def hand_over_access(
    entry: SubjectRequest, *, by: User, request: HttpRequest | None = None
) -> PersonData:
    """Return the person's data for them, the request done and the hand-over audited."""
    if entry.kind != SubjectRequest.Kind.ACCESS:
        raise ValidationError(_("The person did not ask for a copy of their data."))
    # The copy holds everything, the sensitive notes and answers included: only those who read
    # them on the case make it, not a colleague who sees the case through a household.
    if not entry.case.shows_sensitive_to(by):
        raise ValidationError(COPY_MADE_BY)
    data = person_data(entry.person, for_user=by)
    if entry.completed_at is None:
        entry.completed_at = timezone.now()
        entry.save(update_fields=["completed_at"])
    record(by, AuditEvent.Action.EXPORT, entry.person, detail="subject_access", request=request)
    return data


@transaction.atomic
def erase_on_request(entry: SubjectRequest, *, by: User) -> None:
    """Erase the person who asked for it (`erase_person`), and mark their request done."""
    if entry.kind != SubjectRequest.Kind.ERASURE:
        raise ValidationError(_("The person did not ask for erasure."))
    if not may_erase(entry, by):
        raise ValidationError(ERASED_BY)
    erase_person(entry.person, by=by, reason="request")
    entry.completed_at = timezone.now()
    entry.save(update_fields=["completed_at"])


# Erasure and retention


def _encrypted_text_fields(model: type[models.Model]) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if getattr(f, "encrypted", False) and not isinstance(f, models.DateField)
    ]


def _field(model: type[models.Model], name: str) -> "models.Field[Any, Any]":
    """A field of the model's own (`get_field` also gives reverse relations)."""
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


def _blank(field_name: str, model: type[models.Model]) -> str:
    field = _field(model, field_name)
    return "" if field.blank else ERASED_NAME


def person_hash(person: Person) -> str:
    return hashlib.sha256(person.pk.bytes).hexdigest()[:12]


@transaction.atomic
def erase_person(person: Person, *, by: User | None, reason: str) -> None:
    """Erase `person`'s identity and every free text of their cases; keep the facts."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.erased_at is not None:
        return
    # The history of the person's rows holds their old values (as ciphertext): it goes too,
    # and the erasure's own changes are not recorded in it (the audit log says who erased).
    with history_purging():
        _erase(person, by=by, reason=reason)


def _erase(person: Person, *, by: User | None, reason: str) -> None:
    cases = list(Case.objects.filter(person=person).select_related("person"))
    for case in cases:
        if not case.age_band_at_referral:
            case.age_band_at_referral = case_age_band(case)
            case.save(update_fields=["age_band_at_referral"])
    case_ids = [case.pk for case in cases]
    forget_import_files(person)  # waiting spreadsheets that list them (before the name goes)
    # A household member's goals are in the client's case: the answers on them are found by
    # the goal, not by a case of the member's (the loop below finds those of their own cases).
    answers = on_goals_of(person)
    answer_ids = list(answers.values_list("pk", flat=True))
    answers.delete()
    for model in apps.get_models():
        if getattr(model, "KEPT_ON_ERASURE", False):
            # A register of the organisation's own (who asked for data, on what basis, what
            # was decided): the record stays, only its link to the person goes.
            _unlink(model, person, case_ids)
            continue
        if getattr(model, "DELETED_ON_ERASURE", False):
            # Rows that are nothing but the person's answers (the organisation's own fields):
            # even which questions were answered goes.
            rows = _rows_about(model, person, case_ids)
            if rows is not None:
                rows.delete()
            continue
        fields = _encrypted_text_fields(model)
        if not fields or model is Person:
            continue
        rows = _rows_about(model, person, case_ids)
        if rows is not None:
            rows.update(**{name: _blank(name, model) for name in fields})
    for name in IDENTITY_FIELDS:
        field = _field(Person, name)
        setattr(person, name, None if field.null else _blank(name, Person))
    person.given_name = ERASED_NAME
    person.corrected_fields = []
    person.erased_at = timezone.now()
    person.save()
    SearchToken.objects.filter(person=person).delete()
    # A link to another record would tie the kept facts of these cases to that record's
    # identity: possible duplicates involving the person go with their identity.
    # Their history too: a link the other person's row holds (`other`) was kept whole there,
    # tagged with the other person only, so it still tied the erased person to a living record.
    links = PossibleDuplicate.objects.filter(models.Q(person=person) | models.Q(other=person))
    link_ids = list(links.values_list("pk", flat=True))
    links.delete()
    for document in Document.objects.filter(case_id__in=case_ids):
        remove_document(document, by=None)
    purge_history(
        person.pk,
        case_ids,
        also={"custom.customvalue": answer_ids, "cases.possibleduplicate": link_ids},
    )
    record(
        by,
        AuditEvent.Action.ERASE,
        person,
        detail=f"person #{person_hash(person)} ({reason})",
        organisation_id=person.organisation_id,
        high_severity=by is not None,
    )


# Every manager of Engage's models is their `objects`, so `_default_manager` is that one.


def _unlink(model: type[models.Model], person: Person, case_ids: list[UUID]) -> None:
    """Set every link of `model`'s rows to this person or their cases to NULL."""
    rows = model._default_manager
    for field in model._meta.concrete_fields:
        if field.is_relation and field.related_model is Person:
            rows.filter(**{field.name: person}).update(**{field.name: None})
        elif field.is_relation and field.related_model is Case:
            rows.filter(**{f"{field.name}_id__in": case_ids}).update(**{field.name: None})


def _rows_about(
    model: type[models.Model], person: Person, case_ids: list[UUID]
) -> models.QuerySet[models.Model] | None:
    """The rows of `model` about this person: theirs, or in their cases (None if unrelated)."""
    names = {f.name: f for f in model._meta.concrete_fields if f.is_relation}
    if "person" in names and names["person"].related_model is Person:
        if "case" in names:
            return model._default_manager.filter(
                models.Q(person=person) | models.Q(case_id__in=case_ids)
            )
        return model._default_manager.filter(person=person)
    if "case" in names and names["case"].related_model is Case:
        return model._default_manager.filter(case_id__in=case_ids)
    for path in ("plan", "goal__plan"):
        if path.split("__")[0] in names:
            return model._default_manager.filter(
                models.Q(**{f"{path}__case_id__in": case_ids})
                | models.Q(**{f"{path}__person": person})
            )
    if model is Case:
        return model._default_manager.filter(pk__in=case_ids)
    return None


def due_for_retention(organisation: Organisation, today: datetime.date) -> list[Person]:
    """People whose every case (their own, or their household's) ended before the retention
    period: closed or declined longer ago than the organisation keeps identifying data."""
    cutoff = _months_before(today, organisation.retention_months)
    ended: dict[
        UUID, datetime.date | None
    ] = {}  # person or household id -> latest end, or None while a case is open
    for person_id, household_id, stage, closed, declined in Case.objects.filter(
        organisation=organisation
    ).values_list("person_id", "household_id", "stage", "closure_date", "declined_date"):
        end = None if stage in OPEN_STAGES else (closed or declined)
        for key in filter(None, (person_id, household_id)):
            previous = ended.get(key, datetime.date.min)
            ended[key] = None if end is None or previous is None else max(previous, end)
    due: list[Person] = []
    for person in Person.objects.filter(organisation=organisation, erased_at__isnull=True):
        ends = [ended[key] for key in (person.pk, person.household_id) if key in ended]
        known = [end for end in ends if end is not None]
        if ends and len(known) == len(ends) and max(known) < cutoff:
            due.append(person)
    return due


def _months_before(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def apply_retention(today: datetime.date | None = None) -> dict[str, int]:
    """Erase everyone due, in every organisation; return how many per organisation. Then
    delete the files no row names (`sweep_orphan_files`). Without `today`, each organisation's
    own: the server's, in Sofia at 00:30, erased a London organisation's people a day early."""
    done: dict[str, int] = {}
    for organisation in Organisation.objects.order_by("code"):
        people = list(due_for_retention(organisation, today or organisation.today()))
        for person in people:
            erase_person(person, by=None, reason="retention")
        done[organisation.code] = len(people)
    sweep_orphan_files()
    return done


def sweep_orphan_files(now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete the files of documents and uploads that no row names, once old enough to belong
    to no open transaction (`EncryptedFolder.sweep`); return how many of each. Audited as a
    count: the files name nobody that could be written down."""
    deleted = {"documents": document_files.sweep(now), "imports": import_files.sweep(now)}
    if any(deleted.values()):
        detail = " ".join(f"{kind}:{count}" for kind, count in deleted.items())
        record(None, AuditEvent.Action.ERASE, None, detail=f"orphan files {detail}")
    return deleted
