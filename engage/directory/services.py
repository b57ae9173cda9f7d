"""Keeping the directory, and referring clients to its services.

A service is also a sharing `Recipient`: `save_service` creates that recipient with it, so that
a client's consent is recorded for the service itself (renaming a service that consents or
shares name gives it a new recipient: a consent names what the client agreed to, as it was),
and a referral's disclosure is checked by `sharing.services.request_share` against exactly that
consent. A referral either
discloses some of the client's data (a share, consent required, no override here: overriding
consent is done, with its own safeguards, on the sharing page) or discloses nothing identifying
(the client contacts the service themselves): the case manager says which on the form.

Referral statuses move only along `TRANSITIONS`; every change is audited without any value.
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from engage.accounts.models import Organisation, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases import workflow
from engage.cases.models import Case
from engage.directory.models import (
    FOUND_ENFORCEMENT,
    RECIPIENT_TYPE,
    ContactPerson,
    Referral,
    Service,
)
from engage.lib.concurrency import ConcurrentEditError, save_versioned
from engage.lib.translations import clean_translations
from engage.sharing import services as sharing
from engage.sharing.models import Purpose, Recipient

Status = Referral.Status

# The lifecycle of a referral: which status may follow which.
TRANSITIONS: dict[str, set[str]] = {
    Status.MADE: {Status.ACCEPTED, Status.DECLINED},
    Status.ACCEPTED: {Status.COMPLETED, Status.NO_SHOW},
    Status.DECLINED: set(),
    Status.COMPLETED: set(),
    Status.NO_SHOW: set(),
}
# The fields of a contact person that `save_contact` writes (the form's fields too).
CONTACT_FIELDS = ("name", "role", "phone", "email")
# Which date field each new status sets.
ANSWERED = {Status.ACCEPTED, Status.DECLINED}
ENDED = {Status.COMPLETED, Status.NO_SHOW}

# The fields of a service that `save_service` writes from its data (the form's fields too).
SERVICE_FIELDS = (
    "name",
    "type",
    "city",
    "address",
    "phone",
    "email",
    "website",
    "languages",
    "eligibility",
    "translations",
    "serves_without_status",
    "shared",
    "active",
)


class ReferralRefused(PermissionDenied):
    """The referral would disclose data without consent; the message says why."""


def today() -> datetime.date:
    return timezone.localdate()


# The directory


def _recipient_for(
    organisation: Organisation, *, by: User, name: str, kind: str, service: Service | None
) -> Recipient:
    """The recipient the service will be, its identity (name, kind) fixed once referenced.

    A consent or a share names a recipient as the person agreed to it, so a service whose
    recipient is named by one gets a new recipient when it is renamed (the old one keeps its
    name and kind for those consents, out of use), and cannot change its kind here.
    """
    current = service.recipient if service is not None else None
    if current is not None and current.never_shared_with:
        # Found to be immigration enforcement (an admin's correction, a second person's answer
        # to the screening): the service's type, never that kind, must not make it another
        # kind again at its next edit. Only the admin's correction, confirmed by a second
        # person, takes it back.
        kind = current.type
    same_name = Recipient.objects.filter(organisation=organisation, name__iexact=name)
    if current is not None:
        same_name = same_name.exclude(pk=current.pk)
    clash = same_name.first()
    if clash is not None:
        if clash.never_shared_with:
            raise ValidationError(
                {"name": _("This is the name of an immigration enforcement recipient.")}
            )
        if Service.objects.filter(recipient=clash).exists():
            raise ValidationError({"name": _("There is already a service with this name.")})
        if current is not None:
            # A recipient of that name was used for consent before the service existed: keep
            # the service's own recipient, whose consents are recorded for it.
            raise ValidationError(
                {"name": _("A recipient of your organisation already has this name.")}
            )
        # Consents recorded for a recipient of this name before the directory: the service
        # takes it over, so they count for referrals to it, if it is the same kind.
        if clash.type != kind and clash.is_referenced():
            raise ValidationError(
                {
                    "type": _(
                        "Consents name the recipient “%(name)s” as “%(kind)s”: choose a type of "
                        "service of that kind, or another name."
                    )
                    % {"name": clash.name, "kind": clash.get_type_display()}
                }
            )
        return sharing.rename_unreferenced(clash, by=by, name=name, type=kind)
    if current is None:
        return sharing.create_recipient(organisation, by=by, name=name, type=kind)
    if (current.name, current.type) == (name, kind) or not current.is_referenced():
        return sharing.rename_unreferenced(current, by=by, name=name, type=kind)
    if current.name.casefold() == name.casefold():
        if current.type != kind:
            raise ValidationError(
                {
                    "type": _(
                        "Consents or shares name this service as “%(kind)s”, so its kind cannot "
                        "change. If that kind is wrong, an organisation admin corrects it on the "
                        "Recipients page (the clients' consents then lapse); otherwise add a "
                        "new service."
                    )
                    % {"kind": current.get_type_display()}
                }
            )
        raise ValidationError(
            {
                "name": _(
                    "Consents or shares name this service “%(name)s”: its name cannot change "
                    "in spelling only."
                )
                % {"name": current.name}
            }
        )
    # Renamed: a new recipient. The clients' consents stay with the old one, as they gave them;
    # a kind corrected away from enforcement still waits for a second person, as in place.
    renamed = sharing.create_recipient(
        organisation, by=by, name=name, type=kind, corrected_from=current.corrected_from
    )
    sharing.retire_recipient(current, by=by, reason="recipient_renamed")
    return renamed


@transaction.atomic
def save_service(
    organisation: Organisation,
    *,
    by: User,
    data: dict[str, Any],
    service: Service | None = None,
    expected_version: int | None = None,
) -> Service:
    """Create or change a service and its sharing recipient; raise ValidationError by field."""
    name = data["name"].strip()
    if not name:
        raise ValidationError({"name": _("Give the service a name.")})
    if service is not None and service.organisation_id != organisation.pk:
        raise ValidationError(_("This service belongs to another organisation."))
    recipient = _recipient_for(
        organisation, by=by, name=name, kind=RECIPIENT_TYPE[data["type"]], service=service
    )
    active = data.get("active", True)
    # The service taken out of use (or back) takes its recipient with it; an edit that leaves
    # it as it was leaves the recipient too, which an admin may have taken out of use alone.
    # (As stored: a model form has already put the new values on `service`.)
    stored = (
        Service.objects.values("active", "recipient").get(pk=service.pk)
        if service is not None
        else None
    )
    moved = stored is None or stored["active"] != active or stored["recipient"] != recipient.pk
    if moved and recipient.active != active:
        recipient.active = active
        recipient.save(update_fields=["active"])
    values = {field: data[field] for field in SERVICE_FIELDS if field in data}
    if "translations" in values:
        values["translations"] = clean_translations(values["translations"])
    values["name"] = name
    if service is None:
        service = Service(organisation=organisation, recipient=recipient, **values)
        service.fold_search()
        service.save(force_insert=True)
        record(by, AuditEvent.Action.CREATE, service)
        return service
    for field, value in values.items():
        setattr(service, field, value)
    service.recipient, service.updated_at = recipient, timezone.now()
    folded = service.fold_search()
    save_versioned(
        service,
        expected_version=expected_version,
        fields=[*values, *folded, "recipient", "updated_at"],
    )
    record(by, AuditEvent.Action.UPDATE, service, detail=",".join(sorted(values)))
    return service


@transaction.atomic
def save_contact(
    service: Service,
    *,
    by: User,
    data: dict[str, Any],
    contact: ContactPerson | None = None,
    expected_version: int | None = None,
) -> ContactPerson:
    """Add a contact person to `service`, or change `contact` if no one else did since
    `expected_version` (ConcurrentEditError)."""
    values = {field: data[field] for field in CONTACT_FIELDS if field in data}
    if not values["name"].strip():
        raise ValidationError({"name": _("Give the contact's name.")})
    if contact is None:
        contact = ContactPerson.objects.create(service=service, **values)
        record(by, AuditEvent.Action.CREATE, contact, organisation_id=service.organisation_id)
        return contact
    for field, value in values.items():
        setattr(contact, field, value)
    save_versioned(contact, expected_version=expected_version, fields=values)
    record(by, AuditEvent.Action.UPDATE, contact, organisation_id=service.organisation_id)
    return contact


@transaction.atomic
def remove_contact(contact: ContactPerson, *, by: User) -> None:
    record(by, AuditEvent.Action.UPDATE, contact.service, detail="contact_removed")
    contact.delete()


# Referrals


def _check_date(
    field: str, value: datetime.date, *, not_before: datetime.date, label: str | Promise
) -> None:
    if value > today():
        raise ValidationError({field: _("This date is in the future.")})
    if value < not_before:
        raise ValidationError({field: label})


def make_referral(
    case: Case,
    *,
    by: User,
    service: Service,
    made_on: datetime.date,
    reason: str = "",
    categories: list[str],
    request: HttpRequest | None = None,
) -> Referral:
    """Refer the client to one of the organisation's services.

    With `categories`, the client's data goes to the service through the sharing service:
    without a consent that covers the service, the purpose "referral to a service" and every
    category, it is refused (ReferralRefused, audited there) and nothing is stored. Without
    categories nothing identifying is disclosed, and the referral says so. Refused on the case
    of a person who was erased (docs/security.md, item 60).
    """
    if not case.is_open:
        raise ValidationError(_("Referrals are made while the case is open."))
    # What it is for, and the service it names, would be the erased person's data again.
    workflow.refuse_if_erased(case)
    if service.organisation_id != case.organisation_id:
        raise ValidationError({"service": _("Choose a service of your organisation's directory.")})
    if not service.active:
        raise ValidationError({"service": _("This service is no longer in use.")})
    if not categories and Recipient.objects.get(pk=service.recipient_id).never_shared_with:
        # The client would be sent to it. (A disclosure is refused, and audited as such, by the
        # sharing service.)
        raise ValidationError({"service": FOUND_ENFORCEMENT})
    _check_date(
        "made_on",
        made_on,
        not_before=case.referral_date,
        label=_("This date is before the client was referred to the programme."),
    )
    refused: sharing.SharingRefused | None = None
    # One transaction: the share and the referral are stored together or not at all. A
    # refusal is caught inside it, so that its audit entry is kept while nothing else is
    # written.
    with transaction.atomic():
        share = None
        if categories:
            try:
                share = sharing.request_share(
                    case,
                    by=by,
                    person=case.person,
                    recipient=service.recipient,
                    purpose=Purpose.REFERRAL,
                    categories=list(categories),
                    request=request,
                )
            except sharing.SharingRefused as refusal:
                refused = refusal
        if refused is None:
            referral = Referral.objects.create(
                case=case,
                service=service,
                made_on=made_on,
                reason=reason,
                categories=sorted(categories),
                share=share,
                made_by=by,
            )
            record(
                by,
                AuditEvent.Action.CREATE,
                referral,
                detail="disclosed" if share else "not_disclosed",
                request=request,
            )
    if refused is not None:
        raise ReferralRefused(str(refused))
    return referral


def allowed_statuses(referral: Referral) -> list[str]:
    return [status for status in Status.values if status in TRANSITIONS[referral.status]]


@transaction.atomic
def update_referral(
    referral: Referral,
    *,
    by: User,
    status: str,
    date: datetime.date,
    outcome_note: str = "",
    expected_version: int,
    request: HttpRequest | None = None,
) -> Referral:
    """Move the referral to `status` on `date`; refuse impossible moves and dates.

    Raise ConcurrentEditError when someone else updated it since the form was opened.
    """
    referral = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
    if referral.version != expected_version:
        raise ConcurrentEditError
    workflow.refuse_if_erased(referral.case)  # its outcome note would be their data again
    if status not in TRANSITIONS[referral.status]:
        labels = dict(Status.choices)
        raise ValidationError(
            {
                "status": _("A referral that is “%(current)s” cannot become “%(new)s”.")
                % {"current": labels[referral.status], "new": labels.get(status, status)}
            }
        )
    if status in ANSWERED:
        _check_date(
            "date",
            date,
            not_before=referral.made_on,
            label=_("This date is before the referral was made."),
        )
        referral.answered_on = date
        fields = ["status", "answered_on"]
    else:
        _check_date(
            "date",
            date,
            not_before=referral.answered_on or referral.made_on,
            label=_("This date is before the service accepted the referral."),
        )
        referral.ended_on = date
        fields = ["status", "ended_on"]
    referral.status = status
    if outcome_note.strip():
        referral.outcome_note = outcome_note.strip()
        fields.append("outcome_note")
    referral.updated_at = timezone.now()
    save_versioned(referral, expected_version=expected_version, fields=[*fields, "updated_at"])
    record(by, AuditEvent.Action.UPDATE, referral, detail=f"status={status}", request=request)
    return referral
