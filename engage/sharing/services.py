"""The one way personal data leaves Engage: every share is checked here, then audited.

A share needs a consent of the person that covers the recipient, the purpose and every
category of data, that is in force today and not withdrawn. Without one, it is refused (and
the refusal audited) unless a user with the override permission, who has just typed their
password again, gives a written reason: that share is flagged as high severity in the audit
log. Towards immigration enforcement nothing identifiable is released, with no override.

Shares are queued and produced by `produce_queued` (run after the request commits, and by
`engage run_shares` for anything left): consent is checked again when the data is produced, so
a withdrawal between the request and the production cancels the share.
"""

import datetime
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts.models import User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases.models import Case, Person
from engage.sharing.models import (
    Category,
    Consent,
    DataRequest,
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


@transaction.atomic
def record_consent(case: Case, *, by: User, data: dict) -> Consent:
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
    if not data.get("categories"):
        raise ValidationError({"categories": _("Tick the data the person agrees to share.")})
    if data["given_on"] > timezone.localdate():
        raise ValidationError({"given_on": _("This date is in the future.")})
    if data["expires_on"] < data["given_on"]:
        raise ValidationError({"expires_on": _("The consent must end after it was given.")})
    consent = Consent.objects.create(case=case, recorded_by=by, **data)
    record(by, AuditEvent.Action.CREATE, consent)
    return consent


@transaction.atomic
def withdraw_consent(consent: Consent, *, by: User, note: str = "") -> int:
    """Withdraw at once: no new share may use it, and queued ones are cancelled.

    Return how many queued shares were cancelled.
    """
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_note = timezone.now(), by, note
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    cancelled = Share.objects.filter(consent=consent, status=Share.Status.QUEUED).update(
        status=Share.Status.CANCELLED, cancel_reason="consent_withdrawn", content=""
    )
    record(by, AuditEvent.Action.UPDATE, consent, detail=f"withdrawn; {cancelled} cancelled")
    return cancelled


def covering_consent(
    case: Case, person: Person, recipient: Recipient, purpose: str, categories, on=None
) -> Consent | None:
    for consent in Consent.objects.filter(
        case=case, person=person, recipient=recipient, purpose=purpose, withdrawn_at__isnull=True
    ):
        if consent.covers(recipient, purpose, categories, on):
            return consent
    return None


def _refuse(by: User, case: Case, request, message: str, detail: str, high=False):
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
    _check_person(case, person)
    if not categories:
        raise ValidationError({"categories": _("Tick the data to share.")})
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
        transaction.on_commit(lambda: produce_queued([share.pk]))
    return share


def produce_queued(ids=None) -> dict[str, int]:
    """Produce the queued shares (all, or those in `ids`); cancel those whose consent lapsed."""
    queued = Share.objects.filter(status=Share.Status.QUEUED).select_related(
        "consent", "recipient", "person", "case"
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
                .select_related("consent", "recipient", "person", "case")
                .get(pk=share.pk)
            )
            if share.status != Share.Status.QUEUED:
                continue
            if share.consent is not None and not share.consent.covers(
                share.recipient, share.purpose, share.categories
            ):
                share.status, share.cancel_reason = Share.Status.CANCELLED, "consent_lapsed"
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


def _json_default(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _content(share: Share) -> dict:
    """What the recipient receives: only the categories consented to."""
    person, case = share.person, share.case
    data: dict = {
        "recipient": share.recipient.name,
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
            {"domain": str(label), "note": note} for _c, label, note in screening.vulnerabilities()
        ]
    if Category.NOTES in share.categories:
        data["notes"] = [
            {"date": c.date, "note": c.note}
            for c in case.contacts.filter(sensitive=False).exclude(note="")[:20]
        ]
    return data


def hand_over(share: Share, *, by: User, request: HttpRequest | None = None) -> str:
    """Return the produced data for download, and audit that it left."""
    if share.status != Share.Status.READY:
        raise ValidationError(_("This share is not ready."))
    record(by, AuditEvent.Action.EXPORT, share, request=request, high_severity=share.overridden)
    return share.content


# The register of external data requests


@transaction.atomic
def register_request(organisation, *, by: User, data: dict) -> DataRequest:
    case = data.get("case")
    if case is not None and case.organisation_id != organisation.pk:
        raise ValidationError({"case": _("Choose one of your organisation's cases.")})
    request = DataRequest.objects.create(organisation=organisation, recorded_by=by, **data)
    record(by, AuditEvent.Action.CREATE, request)
    return request


@transaction.atomic
def decide_request(request: DataRequest, *, by: User, data: dict) -> None:
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
    if data.get("subject_informed") and not data.get("subject_informed_on"):
        raise ValidationError({"subject_informed_on": _("Say when the person was informed.")})
    for name, value in data.items():
        setattr(request, name, value)
    request.decided_by, request.decided_on = by, data.get("decided_on") or timezone.localdate()
    request.save()
    record(by, AuditEvent.Action.UPDATE, request, detail=f"decision={decision}")
