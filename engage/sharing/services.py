"""The one way personal data leaves Engage: every share is checked here, then audited.

A share needs a consent of the person that covers the recipient, the purpose and every
category of data, that is in force today and not withdrawn. Without one, it is refused (and
the refusal audited) unless a user with the override permission, who has just typed their
password again, gives a written reason: that share is flagged as high severity in the audit
log. Towards immigration enforcement nothing identifiable is released, with no override.

Shares are queued and produced by `produce_queued`, in the task `sharing.tasks.produce_shares`
queued with the share and run by `engage worker` (docs/tasks.md); `engage run_shares` (or
`engage enqueue shares`) produces anything left. Data leaves at the hand-over (`hand_over`, the
download): consent is checked again there, every time, with the recipient's identity and
screening. A withdrawal voids every share under the consent that has not left yet (and the
copies kept of those that did); an expiry does the same at the hand-over and in
`engage run_shares`. What did leave stays listed on the case's sharing page after a
withdrawal, so the case manager asks the recipient to delete it (`ask_deletion`).

A consent names the recipient as the person agreed to it (name and kind, copied onto the
consent): it covers that recipient only while its name and kind are unchanged, and a
recipient's identity is fixed once a consent or a share names it (`directory.services` makes
a new recipient when a service is renamed; `correct_kind` is the audited way to fix a kind).
Names are screened against enforcement bodies (`sharing.screening`): a match waits for a
second person's confirmation (`confirm_recipient`) before anything is shared.
"""

import dataclasses
import datetime
import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.accounts.models import Organisation, Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases import workflow
from engage.cases.models import Case, Person
from engage.lib.concurrency import ConcurrentEditError, save_versioned
from engage.lib.dates import local_today
from engage.sharing import screening
from engage.sharing.models import (
    CANCEL_REASONS,
    Category,
    Consent,
    DataRequest,
    EnforcementBody,
    Recipient,
    RecipientType,
    Share,
)


class SharingRefused(PermissionDenied):
    """The share may not happen; the message says why, for the person who asked."""


def _check_person(case: Case, person: Person) -> None:
    if person.pk != case.person_id and (
        case.household_id is None or person.household_id != case.household_id
    ):
        raise ValidationError({"person": _("Choose the client or a member of their household.")})
    if Person.objects.filter(pk=person.pk, erased_at__isnull=False).exists():
        # Erasure keeps the case's facts (its reference, nationality, migration status) for
        # the statistics: none of them leaves about a person who was erased. As stored, not
        # as a page loaded before the erasure had it.
        raise ValidationError(workflow.ERASED)


def releasable_people(case: Case) -> QuerySet[Person]:
    """The people whose data `case` may still record a consent for or share: the client and
    their household, but not a person erased (`_check_person` refuses them)."""
    people = Person.objects.filter(erased_at__isnull=True)
    if case.household_id:
        return people.filter(household_id=case.household_id)
    return people.filter(pk=case.person_id)


# What the case holds is the client's: its migration case, the screening's health and
# vulnerabilities, its notes. A household member's consent (or an override for them) releases
# their own identity and contact details, never these: `_content` took them from the case
# whoever the share was for, so a partner's consent released the client's health.
CLIENTS_OWN = frozenset(
    {Category.MIGRATION, Category.HEALTH, Category.VULNERABILITY, Category.NOTES}
)


# The vulnerability domains that are health data: the screening's "Health and welfare" concern
# and its note. A person who agreed to share their vulnerabilities but not their health gave no
# consent for these, so they go only with the health too (`_content`).
HEALTH_DOMAINS = frozenset({"health"})


def _clients_own(share_person_id: object, case: Case, categories: Iterable[str]) -> list[str]:
    """The categories, of those asked, that only the client's own consent can release."""
    if share_person_id == case.person_id:
        return []
    return sorted(set(categories) & CLIENTS_OWN)


@transaction.atomic
def record_consent(case: Case, *, by: User, data: dict[str, Any]) -> Consent:
    check_sharer(case, by)
    person, recipient = data["person"], data["recipient"]
    _check_person(case, person)
    if recipient.organisation_id != case.organisation_id:
        raise ValidationError({"recipient": _("Choose one of your organisation's recipients.")})
    if recipient.never_shared_with:
        raise ValidationError(
            {
                "recipient": _(
                    "Engage never shares identifiable data with immigration enforcement, "
                    "so no consent can be recorded for it."
                )
            }
        )
    if screening.held(recipient):
        raise ValidationError({"recipient": str(HELD_MESSAGE)})
    if not data.get("categories"):
        raise ValidationError({"categories": _("Tick the data the person agrees to share.")})
    if data["given_on"] > timezone.localdate():
        raise ValidationError({"given_on": _("This date is in the future.")})
    if data["expires_on"] < data["given_on"]:
        raise ValidationError({"expires_on": _("The consent must end after it was given.")})
    consent = Consent.objects.create(
        case=case,
        recorded_by=by,
        recipient_name=recipient.name,
        recipient_type=recipient.type,
        **data,
    )
    record(by, AuditEvent.Action.CREATE, consent)
    return consent


@dataclasses.dataclass
class Withdrawn:
    """What a withdrawal did: shares voided before they left, and those that had left."""

    voided: int
    left: list[Share]


def _void(shares: QuerySet[Share], reason: str) -> int:
    """Void the shares that have not left and the copies kept of those that did.

    Return how many had not left yet.
    """
    voided = shares.filter(status__in=Share.UNSENT).update(
        status=Share.Status.CANCELLED, cancel_reason=reason, content=""
    )
    shares.filter(status=Share.Status.SENT).exclude(content="").update(
        content="", cancel_reason=reason
    )
    return voided


@transaction.atomic
def withdraw_consent(consent: Consent, *, by: User, note: str = "") -> Withdrawn:
    """Withdraw at once: no share may use it any more, and none made under it may leave.

    Return what was voided and what had already left (the recipient is to be asked to delete
    it).
    """
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_note = timezone.now(), by, note
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    shares = Share.objects.filter(consent=consent)
    voided = _void(shares, "consent_withdrawn")
    left = list(shares.filter(handed_over_at__isnull=False))
    record(
        by,
        AuditEvent.Action.UPDATE,
        consent,
        detail=f"withdrawn; {voided} voided; {len(left)} already left",
    )
    return Withdrawn(voided=voided, left=left)


def void_lapsed() -> int:
    """Void the shares not handed over whose consent expired or was withdrawn (a daily job).

    The hand-over checks consent anyway; this keeps no prepared copy of data longer than
    the consent it was made under. Return how many shares were voided.
    """
    # Each organisation's today: the server's, in Sofia after midnight, voided a London
    # organisation's shares while their consent still held there.
    lapsed = Q(withdrawn_at__isnull=False)
    for zone in Organisation.objects.values_list("time_zone", flat=True).distinct():
        lapsed |= Q(case__organisation__time_zone=zone, expires_on__lt=local_today(zone))
    lapsed_consents = Consent.objects.filter(lapsed)
    return _void(Share.objects.filter(consent__in=lapsed_consents.values("pk")), "consent_expired")


def covering_consent(
    case: Case,
    person: Person,
    recipient: Recipient,
    purpose: str,
    categories: Iterable[str],
    on: datetime.date | None = None,
) -> Consent | None:
    for consent in Consent.objects.filter(
        case=case,
        person=person,
        recipient=recipient,
        recipient_name=recipient.name,
        recipient_type=recipient.type,
        purpose=purpose,
        withdrawn_at__isnull=True,
    ):
        if consent.covers(recipient, purpose, categories, on):
            return consent
    return None


def _refuse(
    by: User,
    case: Case,
    request: HttpRequest | None,
    message: str,
    detail: str,
    high: bool = False,
) -> SharingRefused:
    record(
        by,
        AuditEvent.Action.SHARE_REFUSED,
        case,
        detail=detail,
        request=request,
        high_severity=high,
    )
    return SharingRefused(message)


def request_share(
    case: Case,
    *,
    by: User,
    person: Person,
    recipient: Recipient,
    purpose: str,
    categories: list[str],
    override_reason: str = "",
    recently_authenticated: bool = False,
    request: HttpRequest | None = None,
) -> Share:
    """Queue a share after checking consent; raise SharingRefused (audited) otherwise."""
    check_sharer(case, by)
    _check_person(case, person)
    if not categories:
        raise ValidationError({"categories": _("Tick the data to share.")})
    if _clients_own(person.pk, case, categories):
        raise ValidationError({"categories": MEMBERS_OWN_MESSAGE})
    if recipient.organisation_id != case.organisation_id:
        raise ValidationError({"recipient": _("Choose one of your organisation's recipients.")})
    if recipient.type == RecipientType.ENFORCEMENT:
        raise _refuse(
            by,
            case,
            request,
            _(
                "Engage never releases identifiable data to immigration enforcement. "
                "There is no override."
            ),
            "enforcement",
            high=True,
        )
    if screening.held(recipient):
        raise _refuse(by, case, request, str(HELD_MESSAGE), "recipient_unconfirmed", high=True)
    override_reason = override_reason.strip()
    # Decide before writing anything, so that a refusal's audit entry is never rolled back.
    consent = covering_consent(case, person, recipient, purpose, categories)
    if consent is None and not override_reason:
        raise _refuse(
            by,
            case,
            request,
            _(
                "There is no consent in force from this person to share this data with "
                "%(recipient)s for this purpose. Record their consent first."
            )
            % {"recipient": recipient},
            "no_consent",
        )
    if consent is None and not by.may_override_consent:
        raise _refuse(
            by,
            case,
            request,
            _("You do not have the permission to override consent."),
            "override_not_permitted",
            high=True,
        )
    if consent is None and not recently_authenticated:
        raise _refuse(
            by,
            case,
            request,
            _("Confirm your password before overriding consent."),
            "override_needs_step_up",
            high=True,
        )
    with transaction.atomic():
        share = Share.objects.create(
            case=case,
            person=person,
            recipient=recipient,
            recipient_name=recipient.name,
            recipient_type=recipient.type,
            purpose=purpose,
            categories=sorted(categories),
            consent=consent,
            override_reason=override_reason if consent is None else "",
            requested_by=by,
        )
        if consent is None:
            record(by, AuditEvent.Action.OVERRIDE, share, request=request, high_severity=True)
        else:
            record(by, AuditEvent.Action.SHARE, share, request=request)
        # Queued in this transaction: no share without its task, no task without its share.
        from engage.sharing.tasks import produce_shares  # the task calls this module

        produce_shares.enqueue([str(share.pk)], str(case.organisation_id))
    return share


def produce_queued(ids: Iterable[UUID] | None = None) -> dict[str, int]:
    """Produce the queued shares (all, or those in `ids`); cancel those whose consent lapsed."""
    queued = Share.objects.filter(status=Share.Status.QUEUED).select_related(
        "consent", "recipient", "person", "case", "requested_by"
    )
    if ids is not None:
        queued = queued.filter(pk__in=ids)
    counts = {"produced": 0, "cancelled": 0}
    for share in queued:
        with transaction.atomic():
            share = (
                # Lock the share row only: PostgreSQL refuses FOR UPDATE on the nullable side
                # of the outer join to an override's missing consent.
                Share.objects.select_for_update(of=("self",))
                .select_related(
                    "consent", "recipient", "person", "case__organisation", "requested_by"
                )
                .get(pk=share.pk)
            )
            if share.status != Share.Status.QUEUED:
                continue
            if (obstacle := _obstacle(share)) is not None:
                if obstacle.voids:
                    share.status, share.cancel_reason = Share.Status.CANCELLED, obstacle.code
                    share.save(update_fields=["status", "cancel_reason"])
                    counts["cancelled"] += 1
                continue
            share.content = json.dumps(
                _content(share), ensure_ascii=False, indent=2, default=_json_default
            )
            share.status, share.produced_at = Share.Status.READY, timezone.now()
            share.save(update_fields=["content", "status", "produced_at"])
            counts["produced"] += 1
    return counts


def _json_default(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _content(share: Share) -> dict[str, object]:
    """What the recipient receives: only the categories consented to."""
    person, case = share.person, share.case
    data: dict[str, object] = {
        "recipient": share.recipient_name,
        "purpose": share.get_purpose_display(),
        "case_reference": case.reference,
    }
    if Category.IDENTITY in share.categories:
        data["identity"] = {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "date_of_birth": person.date_of_birth,
            "nationality": person.nationality.name if person.nationality else "",
            "document_number": person.document_number,
            "languages": person.languages,
        }
    if Category.CONTACT in share.categories:
        data["contact"] = {"phone": person.phone, "email": person.email, "address": person.address}
    if Category.MIGRATION in share.categories:
        data["migration"] = {
            "migration_status_at_referral": case.get_migration_status_display(),
            "detention_at_referral": case.get_detention_at_referral_display(),
            "outcome": case.get_outcome_display(),
        }
    screening = getattr(case, "screening", None)
    if Category.HEALTH in share.categories and screening is not None:
        data["health"] = screening.health
    if Category.VULNERABILITY in share.categories and screening is not None:
        data["vulnerabilities"] = [
            {"domain": str(label), "note": note}
            for code, label, note in screening.vulnerabilities()
            if code not in HEALTH_DOMAINS or Category.HEALTH in share.categories
        ]
    if Category.NOTES in share.categories:
        data["notes"] = [
            {"date": c.date, "note": c.note}
            for c in case.contacts.filter(sensitive=False).exclude(note="")[:20]
        ]
    return data


@dataclasses.dataclass
class Obstacle:
    code: str
    message: str
    voids: bool  # the share can never leave: void it


SHARED_BY = gettext_lazy(
    "The case's own case manager or their supervisor records consent and shares the case's "
    "data. You see this case through a client's household."
)


def check_sharer(case: Case, user: User) -> None:
    """Only the people working on the case release its data: its case manager and their
    supervisor, not a colleague who sees it through a client's household (whose client may be
    the one the data is kept from). A consent can be withdrawn by anyone who sees the case."""
    if not case.shows_sensitive_to(user):
        raise ValidationError(SHARED_BY)


MEMBERS_OWN_MESSAGE = gettext_lazy(
    "A household member's consent releases only their own identity and contact details. "
    "The migration case, health, vulnerabilities and case notes are the client's: share them "
    "with the client's own consent."
)

HELD_MESSAGE = gettext_lazy(
    "This recipient's name resembles an enforcement body, or its kind was corrected from "
    "immigration enforcement: nothing is shared with it until a second person (another "
    "admin or a supervisor) confirms it is not one."
)


def _obstacle(share: Share) -> Obstacle | None:
    """What stops the share from leaving now, if anything (`share.case.organisation` read)."""
    recipient, consent = share.recipient, share.consent
    # The organisation's today, also in the worker (the server's zone, which may be ahead).
    today = share.case.organisation.today()
    if share.person.erased_at is not None:
        # Queued before the erasure, its task would produce it from what erasure keeps.
        return Obstacle("person_erased", str(workflow.ERASED), True)
    if recipient.never_shared_with:
        return Obstacle(
            "enforcement",
            _("Engage never releases identifiable data to immigration enforcement."),
            True,
        )
    if (share.recipient_name, share.recipient_type) != (recipient.name, recipient.type):
        return Obstacle(
            "recipient_changed",
            _("The recipient's name or kind changed since this share was prepared."),
            True,
        )
    if screening.held(recipient):
        return Obstacle("recipient_unconfirmed", str(HELD_MESSAGE), False)
    if not recipient.active:
        return Obstacle("recipient_not_in_use", _("This recipient is no longer in use."), False)
    if _clients_own(share.person_id, share.case, share.categories):
        return Obstacle("not_their_data", str(MEMBERS_OWN_MESSAGE), True)
    if consent is None:
        # An override, decided with its own safeguards, stands while its author may still
        # override: an admin who takes the permission back or deactivates them (after the high
        # severity entry, say) stops what they decided from leaving.
        author = share.requested_by
        if author.is_active and author.may_override_consent:
            return None
        return Obstacle(
            "override_withdrawn",
            _("This share was cancelled (%(reason)s), so it can no longer be handed over.")
            % {"reason": CANCEL_REASONS["override_withdrawn"]},
            True,
        )
    if consent.withdrawn_at is not None:
        return Obstacle(
            "consent_withdrawn",
            _("The person withdrew the consent this share was made under."),
            True,
        )
    if not consent.is_valid(today):
        return Obstacle(
            "consent_expired",
            _("The consent this share was made under is no longer in force."),
            True,
        )
    if not consent.covers(recipient, share.purpose, share.categories, today):
        return Obstacle(
            "consent_no_longer_covers",
            _("The consent this share was made under no longer covers it."),
            True,
        )
    return None


def hand_over(share: Share, *, by: User, request: HttpRequest | None = None) -> str:
    """Return the produced data for download, and record that it left.

    Consent is checked again, every time: a share whose consent was withdrawn, expired or no
    longer names the recipient is voided and refused (SharingRefused, audited).
    """
    refusal: SharingRefused | None = None
    content = ""
    with transaction.atomic():
        # The consent's row first, as the withdrawal locks it, so that a withdrawal and a
        # hand-over never interleave.
        if share.consent_id is not None:
            Consent.objects.select_for_update().get(pk=share.consent_id)
        share = (
            Share.objects.select_for_update(of=("self",))
            .select_related("consent", "recipient", "case__organisation", "person", "requested_by")
            .get(pk=share.pk)
        )
        check_sharer(share.case, by)  # at the moment it leaves
        if share.status == Share.Status.QUEUED:
            raise ValidationError(_("This share is not ready."))
        if share.status == Share.Status.CANCELLED or not share.content:
            # Voided: by a withdrawal, an expiry, a change of the recipient.
            message = _("This share was cancelled, so it can no longer be handed over.")
            if share.cancel_reason_display:
                message = _(
                    "This share was cancelled (%(reason)s), so it can no longer be handed over."
                ) % {"reason": share.cancel_reason_display}
            obstacle: Obstacle | None = Obstacle(share.cancel_reason or "cancelled", message, False)
        else:
            obstacle = _obstacle(share)
        if obstacle is not None:
            if obstacle.voids:
                _void(Share.objects.filter(pk=share.pk), obstacle.code)
            record(
                by,
                AuditEvent.Action.SHARE_REFUSED,
                share,
                detail=f"hand_over:{obstacle.code}",
                request=request,
                high_severity=True,
            )
            refusal = SharingRefused(obstacle.message)
        else:
            if share.handed_over_at is None:
                share.handed_over_at, share.handed_over_by = timezone.now(), by
            share.status = Share.Status.SENT
            share.save(update_fields=["status", "handed_over_at", "handed_over_by"])
            record(
                by, AuditEvent.Action.EXPORT, share, request=request, high_severity=share.overridden
            )
            content = share.content
    if refusal is not None:
        raise refusal
    return content


@transaction.atomic
def ask_deletion(share: Share, *, by: User, request: HttpRequest | None = None) -> None:
    """Record that the recipient was asked to delete what they received (after a withdrawal)."""
    share = Share.objects.select_for_update(of=("self",)).select_related("consent").get(pk=share.pk)
    if not share.withdrawn_after_it_left:
        raise ValidationError(_("Only data that left before its consent was withdrawn."))
    if share.deletion_asked_at is None:
        share.deletion_asked_at, share.deletion_asked_by = timezone.now(), by
        share.save(update_fields=["deletion_asked_at", "deletion_asked_by"])
        record(by, AuditEvent.Action.UPDATE, share, detail="deletion_asked", request=request)


# Recipients: their identity, the screening and its second person


def _check_name(organisation: Organisation, name: str, exclude: Recipient | None = None) -> None:
    clash = Recipient.objects.filter(organisation=organisation, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ValidationError({"name": _("There is already a recipient with this name.")})


@transaction.atomic
def create_recipient(
    organisation: Organisation,
    *,
    by: User,
    name: str,
    type: str,
    active: bool = True,
    corrected_from: str = "",
) -> Recipient:
    """Add a recipient. Its name is screened when it is used (see `screening`).

    `corrected_from`: the kind its predecessor was corrected from, for a recipient that takes
    another's place (a service renamed), so a kind corrected away from immigration enforcement
    still waits for a second person.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the recipient a name.")})
    _check_name(organisation, name)
    recipient = Recipient.objects.create(
        organisation=organisation,
        name=name,
        type=type,
        active=active,
        set_by=by,
        corrected_from=corrected_from,
    )
    record(by, AuditEvent.Action.CREATE, recipient, detail=f"type={type}")
    return recipient


@transaction.atomic
def rename_unreferenced(recipient: Recipient, *, by: User, name: str, type: str) -> Recipient:
    """Change the name or kind of a recipient that no consent or share names yet."""
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    if (recipient.name, recipient.type) == (name, type):
        return recipient
    if recipient.is_referenced():
        raise ValidationError(
            {"name": _("Consents or shares name this recipient: its name and kind are fixed.")}
        )
    _check_name(recipient.organisation, name, exclude=recipient)
    recipient.name, recipient.type, recipient.set_by = name, type, by
    recipient.version += 1
    recipient.save(update_fields=["name", "type", "set_by", "version"])
    record(by, AuditEvent.Action.UPDATE, recipient, detail=f"identity; type={type}")
    return recipient


@transaction.atomic
def retire_recipient(recipient: Recipient, *, by: User, reason: str) -> int:
    """Take a recipient out of use for good reason (its service was renamed): void its shares.

    Its name and kind stay, as the consents given for it name them. Return how many shares
    that had not left were voided.
    """
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    recipient.active = False
    recipient.save(update_fields=["active"])
    voided = _void(Share.objects.filter(recipient=recipient), reason)
    record(by, AuditEvent.Action.UPDATE, recipient, detail=f"retired:{reason}; {voided} voided")
    return voided


@transaction.atomic
def set_recipient_in_use(
    recipient: Recipient, *, by: User, active: bool, request: HttpRequest | None = None
) -> Recipient:
    """Put a recipient in or out of use (those out of use are not offered), audited. Asked for
    the state it is in already (two admins clicking at once), nothing changes: the second
    click does not undo the first."""
    if recipient.active == active:
        return recipient
    recipient.active = active
    recipient.save(update_fields=["active"])
    detail = "in_use" if active else "out_of_use"
    record(by, AuditEvent.Action.UPDATE, recipient, detail=detail, request=request)
    return recipient


@transaction.atomic
def correct_kind(
    recipient: Recipient,
    *,
    by: User,
    type: str,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Recipient:
    """Correct the kind of a recipient, audited; the consents given for the old kind lapse.

    Consents name the recipient as it was agreed to, so they no longer cover it, and every
    share to it that has not left is voided. A kind corrected away from immigration
    enforcement waits for a second person's confirmation before anything is shared. Refused
    (ConcurrentEditError) if its name or kind changed since `expected_version` (None: the
    caller read no form).
    """
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    if expected_version is not None and recipient.version != expected_version:
        raise ConcurrentEditError
    if type not in RecipientType.values:
        raise ValidationError({"type": _("Choose a kind.")})
    if type == recipient.type:
        raise ValidationError({"type": _("This is already its kind.")})
    before = recipient.type
    recipient.corrected_from, recipient.type, recipient.set_by = before, type, by
    recipient.version += 1
    recipient.save(update_fields=["corrected_from", "type", "set_by", "version"])
    voided = _void(Share.objects.filter(recipient=recipient), "recipient_changed")
    record(
        by,
        AuditEvent.Action.UPDATE,
        recipient,
        detail=f"kind_corrected:{before}->{type}; {voided} voided",
        request=request,
        high_severity=RecipientType.ENFORCEMENT in (before, type),
    )
    return recipient


SECOND_PERSONS = (Role.SUPERVISOR, Role.ORG_ADMIN)


def may_confirm(user: User, recipient: Recipient) -> bool:
    """A second person: an admin or supervisor of the organisation who did not set it."""
    return (
        user.role in SECOND_PERSONS
        and user.organisation_id == recipient.organisation_id
        and user.pk != recipient.set_by_id
    )


@transaction.atomic
def confirm_recipient(
    recipient: Recipient,
    *,
    by: User,
    enforcement: bool,
    request: HttpRequest | None = None,
) -> Recipient:
    """The second person's answer to the screening's warning.

    Either the recipient is not an enforcement body (confirmed for this name and kind), or it
    is one: its kind becomes immigration enforcement, and nothing identifiable goes to it.
    """
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    if not screening.held(recipient):
        raise ValidationError(_("This recipient is not waiting for a confirmation."))
    if not may_confirm(by, recipient):
        raise ValidationError(
            _("Another person than the one who set this name or kind must confirm it.")
        )
    warning = screening.warning(recipient)
    if enforcement:
        before = recipient.type
        recipient.corrected_from, recipient.type = before, RecipientType.ENFORCEMENT
        recipient.version += 1
        recipient.save(update_fields=["corrected_from", "type", "version"])
        voided = _void(Share.objects.filter(recipient=recipient), "recipient_changed")
        detail = f"screening:enforcement; kind_corrected:{before}->enforcement; {voided} voided"
    else:
        recipient.confirmed_name, recipient.confirmed_type = recipient.name, recipient.type
        recipient.confirmed_by, recipient.confirmed_at = by, timezone.now()
        recipient.save(
            update_fields=["confirmed_name", "confirmed_type", "confirmed_by", "confirmed_at"]
        )
        detail = f"screening:not_enforcement; {warning.split(':')[0]}"
    record(
        by, AuditEvent.Action.APPROVE, recipient, detail=detail, request=request, high_severity=True
    )
    return recipient


@transaction.atomic
def add_enforcement_body(organisation: Organisation, *, by: User, name: str) -> EnforcementBody:
    name = " ".join(name.split())
    if not screening.normalise(name):
        raise ValidationError({"name": _("Give a name or some words.")})
    if EnforcementBody.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValidationError({"name": _("It is on the list already.")})
    entry = EnforcementBody.objects.create(organisation=organisation, name=name, added_by=by)
    record(by, AuditEvent.Action.CREATE, entry, organisation_id=organisation.pk)
    return entry


@transaction.atomic
def remove_enforcement_body(entry: EnforcementBody, *, by: User) -> None:
    """Take an entry off the organisation's list; refused while it holds a recipient.

    A recipient the entry holds waits for a second person: removing the entry would release
    it on one admin's word, so a second person confirms or corrects those recipients first.
    """
    holding = [
        recipient.name
        for recipient in Recipient.objects.filter(organisation_id=entry.organisation_id)
        if screening.held(recipient) and screening.match(recipient.name, [entry.name])
    ]
    if holding:
        raise ValidationError(
            _(
                "These recipients match this entry and wait for a second person: %(names)s. "
                "Another admin or a supervisor confirms or corrects them first."
            )
            % {"names": ", ".join(sorted(holding))}
        )
    # Removing an entry is how a name would slip through: it is audited as high severity.
    record(
        by,
        AuditEvent.Action.UPDATE,
        entry,
        detail="removed",
        high_severity=True,
        organisation_id=entry.organisation_id,
    )
    entry.delete()


# The register of external data requests


@transaction.atomic
def register_request(organisation: Organisation, *, by: User, data: dict[str, Any]) -> DataRequest:
    case = data.get("case")
    if case is not None and case.organisation_id != organisation.pk:
        raise ValidationError({"case": _("Choose one of your organisation's cases.")})
    request = DataRequest.objects.create(organisation=organisation, recorded_by=by, **data)
    record(by, AuditEvent.Action.CREATE, request)
    return request


@transaction.atomic
def decide_request(
    request: DataRequest, *, by: User, data: dict[str, Any], expected_version: int
) -> None:
    """Record what was decided on a request, if no one else decided or changed it since
    `expected_version` (ConcurrentEditError)."""
    decision = data["decision"]
    if decision == DataRequest.Decision.PENDING:
        raise ValidationError({"decision": _("Choose a decision.")})
    if (
        request.requester_type == RecipientType.ENFORCEMENT
        and decision != DataRequest.Decision.REFUSED
    ):
        raise ValidationError(
            {
                "decision": _(
                    "Engage never releases identifiable data to immigration enforcement: "
                    "the request can only be refused."
                )
            }
        )
    requester, kind = (
        data.get("requester", request.requester),
        data.get("requester_type", request.requester_type),
    )
    if (
        decision != DataRequest.Decision.REFUSED
        and kind != RecipientType.ENFORCEMENT
        and by.pk == request.recorded_by_id
        and screening.match(requester, screening.terms_for(request.organisation_id))
    ):
        # Whoever registers the request chooses its kind, as an admin chooses a recipient's:
        # the name is screened too, and a second person decides a disclosure to a name that
        # resembles an enforcement body.
        raise ValidationError(
            {
                "decision": _(
                    "The requester's name resembles an enforcement body: another admin or "
                    "supervisor than the one who registered the request decides to disclose."
                )
            }
        )
    if data.get("subject_informed") and not data.get("subject_informed_on"):
        raise ValidationError({"subject_informed_on": _("Say when the person was informed.")})
    for name, value in data.items():
        setattr(request, name, value)
    request.decided_by, request.decided_on = by, data.get("decided_on") or timezone.localdate()
    save_versioned(
        request, expected_version=expected_version, fields={*data, "decided_by", "decided_on"}
    )
    record(by, AuditEvent.Action.UPDATE, request, detail=f"decision={decision}")
