"""Liaison records, letters and reporting obligations: every change to them goes through here.

A liaison record that discloses some of the client's data (the categories ticked, a letter
sent) goes through `sharing.services.request_share` for the record's authority and the purpose
"advocacy or representation with an authority": without a consent in force that covers them
all, it is refused (the refusal audited by the sharing service) and nothing is stored, in one
transaction. No consent override here: that is done, with its own safeguards, on the sharing
page. Towards immigration enforcement the sharing service refuses whatever the consent.

Saving a letter is not a disclosure: it becomes a case document (encrypted, metadata stripped
by `documents.services.attach`), and sending it is a liaison record like any other. From then
on its PDF is kept (`SENT_LETTERS`): a draft may be deleted, a letter sent may not.

Each reporting obligation keeps `next_due_on` up to date here (`_reschedule`), after every
change to it or its events. Every change is audited without any value.
"""

import datetime
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.accounts.models import Organisation, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases import workflow
from engage.cases.models import Case, Person
from engage.documents import keeping
from engage.documents import services as documents
from engage.documents.models import Document
from engage.liaison import letters, schedule
from engage.liaison.models import (
    AUTHORITY_TYPES,
    Letter,
    LetterTemplate,
    LiaisonRecord,
    ReportingEvent,
    ReportingObligation,
)
from engage.lib import encrypted_files
from engage.lib.concurrency import save_versioned
from engage.lib.translations import clean_translations
from engage.sharing import services as sharing
from engage.sharing.models import Purpose, Recipient


class LiaisonRefused(PermissionDenied):
    """The record would disclose data without consent; the message says why."""


def today() -> datetime.date:
    return timezone.localdate()


def authorities_of(organisation_id: uuid.UUID) -> QuerySet[Recipient]:
    return Recipient.objects.filter(
        organisation_id=organisation_id, type__in=AUTHORITY_TYPES, active=True
    )


def _check_authority(case: Case, authority: Recipient | None, field: str = "authority") -> None:
    if authority is None:
        return
    if authority.organisation_id != case.organisation_id or authority.type not in AUTHORITY_TYPES:
        raise ValidationError({field: _("Choose one of your organisation's authorities.")})
    if not authority.active:
        raise ValidationError({field: _("This recipient is no longer in use.")})


def _check_past(field: str, value: datetime.date, case: Case) -> None:
    if value > today():
        raise ValidationError({field: _("This date is in the future.")})
    if value < case.referral_date:
        raise ValidationError(
            {field: _("This date is before the client was referred to the programme.")}
        )


# Liaison records


def record_liaison(
    case: Case,
    *,
    by: User,
    kind: str,
    date: datetime.date,
    authority: Recipient,
    categories: list[str],
    officer: str = "",
    summary: str = "",
    letter: Letter | None = None,
    outcome: str = LiaisonRecord.Outcome.PENDING,
    outcome_note: str = "",
    follow_up_on: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> LiaisonRecord:
    """Record an exchange with an authority about the case, disclosing `categories` if any.

    Raise LiaisonRefused (nothing stored) when the client's consent does not cover the
    disclosure, and ValidationError by field for anything else.
    """
    refused: sharing.SharingRefused | None = None
    # One transaction: the share and the record are stored together or not at all. The
    # refusal is caught inside it so that its audit entry is kept while nothing else is.
    with transaction.atomic():
        case = _lock_as_stored(case)
        if not case.is_open:
            raise ValidationError(_("Liaison is recorded while the case is open."))
        workflow.refuse_if_erased(case)
        _check_authority(case, authority)
        _check_past("date", date, case)
        if follow_up_on is not None and follow_up_on < date:
            raise ValidationError({"follow_up_on": _("The follow-up comes after the liaison.")})
        if letter is not None:
            _check_letter(case, letter, categories)
        share = None
        if categories:
            try:
                share = sharing.request_share(
                    case,
                    by=by,
                    person=case.person,
                    recipient=authority,
                    purpose=Purpose.REPRESENTATION,
                    categories=list(categories),
                    request=request,
                )
            except sharing.SharingRefused as refusal:
                refused = refusal
        if refused is None:
            liaison = LiaisonRecord.objects.create(
                case=case,
                kind=kind,
                date=date,
                authority=authority,
                officer=officer.strip(),
                summary=summary.strip(),
                categories=sorted(categories),
                share=share,
                letter=letter,
                outcome=outcome,
                outcome_note=outcome_note.strip(),
                follow_up_on=follow_up_on,
                recorded_by=by,
            )
            record(
                by,
                AuditEvent.Action.CREATE,
                liaison,
                detail="disclosed" if share else "not_disclosed",
                request=request,
            )
    if refused is not None:
        raise LiaisonRefused(str(refused))
    return liaison


def _lock_as_stored(case: Case) -> Case:
    """Return `case` as stored, its person and it locked in erasure's order (as the case's own
    services do, `cases.services.lock_as_stored`): an erasure or a closure since the page
    loaded the case is seen, and the deletion of a draft letter (`documents.remove` locks the
    case) either waits for this record and then finds the letter sent, or goes first and the
    letter is found gone here, rather than either ending in a server error."""
    Person.objects.select_for_update().only("pk").get(pk=case.person_id)
    stored: Case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
    return stored


def _check_letter(case: Case, letter: Letter, categories: list[str]) -> None:
    if letter.case_id != case.pk:
        raise ValidationError({"letter": _("Choose a letter of this case.")})
    if not Letter.objects.filter(pk=letter.pk).exists():
        raise ValidationError(
            {"letter": _("This letter was deleted meanwhile: choose another, or none.")}
        )
    if not categories:
        # A letter about the client is their data: what it holds must be consented to.
        raise ValidationError(
            {
                "categories": _(
                    "A letter about the client discloses their data: tick what it contains."
                )
            }
        )


@transaction.atomic
def record_outcome(
    liaison: LiaisonRecord,
    *,
    by: User,
    outcome: str,
    outcome_note: str,
    follow_up_on: datetime.date | None,
    expected_version: int,
    request: HttpRequest | None = None,
) -> LiaisonRecord:
    """Write what came of the liaison; raise ConcurrentEditError if it changed meanwhile."""
    # The person as stored, not as the page loaded it: the note is their data (item 60).
    workflow.refuse_if_erased(_lock_as_stored(liaison.case))
    if follow_up_on is not None and follow_up_on < liaison.date:
        raise ValidationError({"follow_up_on": _("The follow-up comes after the liaison.")})
    liaison.outcome, liaison.outcome_note = outcome, outcome_note.strip()
    liaison.follow_up_on = follow_up_on
    liaison.updated_at = timezone.now()
    fields = ["outcome", "outcome_note", "follow_up_on", "updated_at"]
    save_versioned(liaison, expected_version=expected_version, fields=fields)
    record(by, AuditEvent.Action.UPDATE, liaison, detail=f"outcome={outcome}", request=request)
    return liaison


# Letter templates and letters


@transaction.atomic
def save_template(
    organisation: Organisation,
    *,
    by: User,
    data: dict[str, Any],
    template: LetterTemplate | None = None,
    expected_version: int | None = None,
) -> LetterTemplate:
    """Create or change a model letter; refuse template syntax that is not a placeholder."""
    name = data["name"].strip()
    if not name:
        raise ValidationError({"name": _("Give the template a name.")})
    letters.check_body(data["body"])
    translations = clean_translations(data.get("translations") or {})
    for text in translations.values():
        letters.check_body(text)
    clash = LetterTemplate.objects.of(organisation.pk).filter(name__iexact=name)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise ValidationError({"name": _("There is already a template with this name.")})
    values = {
        "name": name,
        "kind": data["kind"],
        "language": data["language"],
        "body": data["body"],
        "translations": translations,
        "active": data.get("active", True),
    }
    if template is None:
        template = LetterTemplate.objects.create(organisation=organisation, **values)
        record(by, AuditEvent.Action.CREATE, template)
        return template
    if template.organisation_id != organisation.pk:
        raise ValidationError(_("This template belongs to another organisation."))
    for field, value in values.items():
        setattr(template, field, value)
    template.updated_at = timezone.now()
    save_versioned(template, expected_version=expected_version, fields=[*values, "updated_at"])
    record(by, AuditEvent.Action.UPDATE, template, detail=",".join(sorted(values)))
    return template


def save_letter(
    case: Case,
    *,
    by: User,
    template: LetterTemplate | None,
    title: str,
    text: str,
    language: str,
) -> Letter:
    """Make the PDF of the edited letter and keep it as a case document. Nothing is sent."""
    if template is not None and template.organisation_id != case.organisation_id:
        raise ValidationError({"template": _("Choose one of your organisation's templates.")})
    if not title.strip():
        raise ValidationError({"title": _("Give the letter a title.")})
    if not text.strip():
        raise ValidationError({"text": _("The letter is empty.")})
    pdf = letters.as_pdf(
        text, title=title.strip(), organisation=case.organisation.name, language=language
    )
    # The document's file goes if the letter is not stored (lib.encrypted_files).
    with encrypted_files.atomic():
        document = documents.attach(
            case, by=by, kind=Document.Kind.OTHER, title=title.strip(), data=pdf
        )
        letter = Letter.objects.create(
            case=case, document=document, template=template, language=language, created_by=by
        )
        record(by, AuditEvent.Action.CREATE, letter)
    return letter


def _sent_letters() -> Exists:
    return Exists(LiaisonRecord.objects.filter(letter__document=OuterRef("pk")))


def _let_go_of_letter(document: Document) -> None:
    # Erasure: the records that sent it stay (their text blanked), no longer saying which.
    LiaisonRecord.objects.filter(letter__document=document).update(letter=None)


# The PDF of a letter a liaison record says was sent is the record of what went: a case worker
# may not delete it (registered with documents.keeping by the app's ready()).
SENT_LETTERS = keeping.Keep(
    kept=_sent_letters,
    reason=gettext_lazy("Sent: kept as the record of what went to the authority."),
    release=_let_go_of_letter,
)


# Reporting obligations


def _reschedule(obligation: ReportingObligation) -> None:
    """Set `next_due_on`: the first expected reporting day after the last recorded one."""
    last = (
        ReportingEvent.objects.filter(obligation=obligation)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    obligation.next_due_on = schedule.first_expected_after(
        obligation.start_date,
        obligation.frequency,
        obligation.interval_days,
        obligation.end_date,
        last,
    )
    ReportingObligation.objects.filter(pk=obligation.pk).update(next_due_on=obligation.next_due_on)


OBLIGATION_FIELDS = (
    "authority",
    "place",
    "frequency",
    "interval_days",
    "start_date",
    "end_date",
    "note",
)


def _check_obligation(case: Case, data: dict[str, Any]) -> None:
    _check_authority(case, data.get("authority"))
    if not data["place"].strip():
        raise ValidationError({"place": _("Say where the client reports.")})
    if data["frequency"] == ReportingObligation.Frequency.OTHER:
        if not data.get("interval_days"):
            raise ValidationError({"interval_days": _("Give the number of days between reports.")})
        if not 1 <= data["interval_days"] <= 366:
            raise ValidationError({"interval_days": _("Give a number of days from 1 to 366.")})
    else:
        data["interval_days"] = None
    if data["start_date"] < case.referral_date - datetime.timedelta(days=366):
        raise ValidationError({"start_date": _("This date is over a year before the referral.")})
    if data.get("end_date") and data["end_date"] < data["start_date"]:
        raise ValidationError({"end_date": _("The obligation ends after it starts.")})


@transaction.atomic
def save_obligation(
    case: Case,
    *,
    by: User,
    data: dict[str, Any],
    obligation: ReportingObligation | None = None,
    expected_version: int | None = None,
) -> ReportingObligation:
    """Create or change a reporting obligation of the case and reschedule it (while the case
    is open: a closed case's obligations are its record, as they stood)."""
    if not case.is_open:
        raise ValidationError(_("Reporting obligations are recorded while the case is open."))
    workflow.refuse_if_erased(case)
    data = dict(data)
    _check_obligation(case, data)
    values: dict[str, Any] = {field: data.get(field) for field in OBLIGATION_FIELDS}
    values["place"], values["note"] = values["place"].strip(), (values["note"] or "").strip()
    if obligation is None:
        obligation = ReportingObligation.objects.create(case=case, created_by=by, **values)
        record(by, AuditEvent.Action.CREATE, obligation)
    else:
        if obligation.case_id != case.pk:
            raise ValidationError(_("This obligation belongs to another case."))
        first = obligation.events.order_by("date").values_list("date", flat=True).first()
        if first is not None and values["start_date"] > first:
            raise ValidationError(
                {"start_date": _("Reporting days are recorded before this date.")}
            )
        for field, value in values.items():
            setattr(obligation, field, value)
        obligation.updated_at = timezone.now()
        save_versioned(
            obligation, expected_version=expected_version, fields=[*values, "updated_at"]
        )
        record(by, AuditEvent.Action.UPDATE, obligation, detail=",".join(sorted(values)))
    _reschedule(obligation)
    return obligation


@transaction.atomic
def record_reporting(
    obligation: ReportingObligation,
    *,
    by: User,
    date: datetime.date,
    status: str,
    note: str = "",
) -> ReportingEvent:
    """Record what happened on a reporting day, and reschedule the next one. On a case no
    longer open, only a day up to its closure (a record caught up with), never one after."""
    case = obligation.case
    workflow.refuse_if_erased(case)
    ended = case.closure_date or case.declined_date
    if not case.is_open and (ended is None or date > ended):
        raise ValidationError(
            {
                "date": _(
                    "The case is no longer open: only a reporting day before it ended is recorded."
                )
            }
        )
    if date > today():
        raise ValidationError({"date": _("This date is in the future.")})
    if date < obligation.start_date:
        raise ValidationError({"date": _("This date is before the obligation started.")})
    if obligation.end_date and date > obligation.end_date:
        raise ValidationError({"date": _("This date is after the obligation ended.")})
    if ReportingEvent.objects.filter(obligation=obligation, date=date).exists():
        raise ValidationError({"date": _("This reporting day is already recorded.")})
    try:
        with transaction.atomic():
            event = ReportingEvent.objects.create(
                obligation=obligation,
                case_id=obligation.case_id,
                date=date,
                status=status,
                note=note.strip(),
                recorded_by=by,
            )
    except IntegrityError:  # the same day recorded at the same moment by someone else
        raise ValidationError({"date": _("This reporting day is already recorded.")}) from None
    record(by, AuditEvent.Action.CREATE, event, organisation_id=obligation.case.organisation_id)
    _reschedule(obligation)
    return event


@transaction.atomic
def follow_up_missed(
    event: ReportingEvent, *, by: User, on: datetime.date, note: str = ""
) -> ReportingEvent:
    """Say that a missed reporting day was followed up: it is no longer flagged."""
    workflow.refuse_if_erased(event.obligation.case)
    event = ReportingEvent.objects.select_for_update(of=("self",)).get(pk=event.pk)
    if event.status != ReportingEvent.Status.MISSED:
        raise ValidationError(_("Only a missed reporting day is followed up."))
    if event.followed_up_on is not None:
        raise ValidationError(_("This missed reporting day was already followed up."))
    if on > today():
        raise ValidationError({"on": _("This date is in the future.")})
    if on < event.date:
        raise ValidationError({"on": _("This date is before the missed reporting day.")})
    event.followed_up_on, event.follow_up_note = on, note.strip()
    event.save(update_fields=["followed_up_on", "follow_up_note"])
    record(
        by,
        AuditEvent.Action.UPDATE,
        event,
        detail="followed_up",
        organisation_id=event.obligation.case.organisation_id,
    )
    return event
