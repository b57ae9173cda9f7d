"""Taking cases offline, the minimal bundle of them, devices, and applying outbox items once.

Every function starts from the user's scope (`Case.objects.visible_to`, `cases.access`), and
every change goes through `engage.cases.services`, so an item recorded offline is checked as the
same form sent online would be: role, scope, workflow step, validation. See docs/offline.md.
"""

import base64
import datetime
import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from engage.accounts.models import User
from engage.audit.models import AuditEvent
from engage.audit.services import record, record_each
from engage.cases import extra_fields, workflow
from engage.cases import services as case_services
from engage.cases.access import CASE_WORKERS, get_case_for_user, get_case_object, record_case_reads
from engage.cases.due import due_items, with_due_facts
from engage.cases.models import Action, Appointment, Case
from engage.cases.models.case import OPEN_STAGES
from engage.cases.next_step import next_step
from engage.offline.forms import ITEM_FORMS
from engage.offline.models import OfflineCase, OfflineDevice, OfflineSync

# The contacts a case manager sees on the phone: dates and kinds only, never their notes.
LAST_CONTACTS = 3


def may_work_offline(user: User) -> bool:
    """Whether `user` may keep cases on a device: an active case manager or supervisor."""
    return bool(user.is_active and user.organisation_id and user.role in CASE_WORKERS)


def offline_cases(user: User) -> QuerySet[Case]:
    """The open cases `user` took offline and may still see."""
    taken = OfflineCase.objects.filter(user=user).values("case_id")
    # The manager django-scopes makes is untyped (docs/architecture.md, "Types").
    visible: QuerySet[Case] = Case.objects.visible_to(user)
    # Open ones only: a case closed or declined since it was taken leaves the phone at its next
    # download (its name, phone and address were still sent).
    return visible.filter(pk__in=taken, stage__in=OPEN_STAGES).order_by("reference")


def is_offline(user: User, case: Case) -> bool:
    """Whether `user` keeps `case` offline: from the case page's own query when it was read
    there (`taken_offline_fact`), else in a query of its own."""
    taken = getattr(case, "taken_offline", None)
    if taken is not None:
        return bool(taken)
    return OfflineCase.objects.filter(user=user, case=case).exists()


def taken_offline_fact(user: User) -> dict[str, Exists]:
    """Whether `user` keeps the case offline, as an annotation of the case page's query
    (`cases.page_facts`)."""
    return {"taken_offline": Exists(OfflineCase.objects.filter(user=user, case=OuterRef("pk")))}


@transaction.atomic
def take_offline(case: Case, *, by: User) -> OfflineCase:
    """Mark `case` for `by`'s visits: its minimal bundle will be kept on their device."""
    if not may_work_offline(by):
        raise ValidationError(_("Only case managers and supervisors take cases offline."))
    if not case.is_open:
        raise ValidationError(_("Only an open case can be taken offline."))
    workflow.refuse_if_erased(case)  # no visit's record would be taken on it (item 60)
    taken, created = OfflineCase.objects.get_or_create(user=by, case=case)
    if created:
        record(by, AuditEvent.Action.CREATE, case, detail="offline_taken")
    return taken


@transaction.atomic
def release(case: Case, *, by: User) -> None:
    """Stop keeping `case` offline; the device drops it at its next download."""
    deleted, _rows = OfflineCase.objects.filter(user=by, case=case).delete()
    if deleted:
        record(by, AuditEvent.Action.UPDATE, case, detail="offline_released")


# The bundle: the minimum needed on a visit, and nothing more (docs/offline.md)


def _appointment(appointment: Appointment | None) -> dict[str, Any] | None:
    if appointment is None:
        return None
    return {
        "date": appointment.date.isoformat(),
        "time": appointment.time.strftime("%H:%M") if appointment.time else "",
        "kind": appointment.get_kind_display(),
        "place": appointment.place,
    }


def _case_entry(
    case: Case, user: User, today: datetime.date, fields: dict[bool, dict[str, Any]]
) -> dict[str, Any]:
    steps = workflow.allowed_steps(case)
    latest = case.assessments.order_by("-created_at").first()
    nxt = next_step(case, user, due=due_items(case, today), today=today)
    return {
        "id": str(case.pk),
        "reference": case.reference,
        "name": str(case.person),
        "phone": case.person.phone,
        "address": case.person.address,
        "next_appointment": _appointment(
            Appointment.objects.planned()
            .filter(case=case, date__gte=today)
            .order_by("date", "time")
            .first()
        ),
        "next": str(nxt.reason),
        "actions": [
            {
                "id": str(action.pk),
                "description": action.description,
                "due_date": action.due_date.isoformat(),
                "owner": action.get_owner_display(),
                "status": action.status,
            }
            for action in Action.objects.still_to_do_on(case)
        ],
        "contacts": [
            {"date": contact.date.isoformat(), "type": contact.get_type_display()}
            for contact in case.contacts.order_by("-date", "-created_at")[:LAST_CONTACTS]
        ],
        "latest_assessment": str(latest.pk) if latest else None,
        "fields": _fields_for(case, user, fields),
        "may": {
            "contact": "contact" in steps,
            "assess": "assess" in steps,
            "plan": "plan" in steps,
        },
    }


# The organisation's own fields of the forms the phone records (`cases.extra_fields`), by the
# kind of outbox item: asked on the phone and checked here as the web form asks and checks them.
EXTENDED: dict[str, str] = {
    OfflineSync.Kind.CONTACT: extra_fields.CONTACT,
    OfflineSync.Kind.ASSESSMENT: extra_fields.ASSESSMENT,
}


def item_form(
    user: User, case: Case, kind: str, data: Mapping[str, Any] | None = None
) -> forms.BaseForm:
    """The form an item of `kind` on `case` is checked with (unbound without `data`): the
    fields the phone's form has and, for a contact or an assessment, the organisation's own
    fields of that form as the web has them for `user` on `case` (required ones, conditions,
    sensitive ones for the case's own people only)."""
    form = ITEM_FORMS[kind](data)
    if kind in EXTENDED:
        extra_fields.extend(
            form, EXTENDED[kind], organisation=case.organisation, user=user, case=case
        )
    return form


def _described(form: forms.BaseForm) -> list[dict[str, Any]]:
    """The organisation's own fields of `form`, as the phone draws them (offline.js): the same
    Django fields the web page renders, read back as plain data for the bundle."""
    described = []
    for name in getattr(form, "extra_field_names", ()):
        field = form.fields[name]
        attrs = field.widget.attrs
        entry: dict[str, Any] = {
            "name": name,
            "label": str(field.label),
            "help": str(field.help_text or ""),
            "required": field.required,
        }
        if isinstance(field, forms.ChoiceField):
            entry["input"] = "multiple" if isinstance(field, forms.MultipleChoiceField) else "one"
            choices = cast("Iterable[tuple[Any, Any]]", field.choices)
            entry["choices"] = [[str(v), str(label)] for v, label in choices if v != ""]
        elif isinstance(field, forms.DecimalField):
            entry.update(input="number", min=attrs.get("min"), max=attrs.get("max"))
        elif isinstance(field, forms.DateField):
            entry["input"] = "date"
        else:
            long = isinstance(field.widget, forms.Textarea)
            length = getattr(field, "max_length", None)
            entry.update(input="long" if long else "text", max_length=length)
        if "data-custom-when" in attrs:
            entry["when"] = {"name": attrs["data-custom-when"], "value": attrs["data-custom-value"]}
        described.append(entry)
    return described


def _fields_for(case: Case, user: User, made: dict[bool, dict[str, Any]]) -> dict[str, Any]:
    """The organisation's own fields of each form, as `user` is asked them on `case`. They
    differ from case to case only by whether `user` sees the sensitive ones there, so they
    are described once for each answer (`made`), not read again for every case."""
    sight = case.shows_sensitive_to(user)
    if sight not in made:
        made[sight] = {kind: _described(item_form(user, case, kind)) for kind in EXTENDED}
    return made[sight]


def bundle(user: User, *, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Return the minimal data of `user`'s offline cases, and record the read of each."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    cases = list(
        with_due_facts(offline_cases(user), today).select_related(
            "person", "organisation", "case_manager__team"
        )
    )
    record_case_reads(user, cases)
    record(user, AuditEvent.Action.EXPORT, None, detail=f"offline_bundle:{len(cases)}")
    hours = user.organisation.offline_hours if user.organisation else 0
    fields: dict[bool, dict[str, Any]] = {}
    return {
        "user": str(user.pk),
        "made_at": now.isoformat(),
        "expires_at": (now + datetime.timedelta(hours=hours)).isoformat(),
        "cases": [_case_entry(case, user, today, fields) for case in cases],
    }


# Devices


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_fingerprint(user: User) -> str:
    """Which password `user` has: a new one (a reset after a lost phone) ends their devices."""
    return hashlib.sha256(f"engage-offline-device:{user.password}".encode()).hexdigest()


def wrap_key(device: OfflineDevice) -> str:
    """The device's server-held wrap key (base64): derived, never stored, given only signed in."""
    key = salted_hmac("engage.offline.wrap-key", str(device.pk), algorithm="sha256").digest()
    return base64.b64encode(key).decode()


@transaction.atomic
def register_device(user: User) -> tuple[OfflineDevice, str]:
    """Register a device of `user`; return it and its token (shown to the device once)."""
    if not may_work_offline(user):
        raise ValidationError(_("Only case managers and supervisors take cases offline."))
    token = secrets.token_urlsafe(32)
    device = OfflineDevice.objects.create(
        user=user, digest=digest(token), password_fingerprint=password_fingerprint(user)
    )
    record(user, AuditEvent.Action.CREATE, device, detail="offline_device")
    return device, token


def _ended(device: OfflineDevice) -> bool:
    user = device.user
    return (
        device.revoked_at is not None
        or not may_work_offline(user)
        or device.password_fingerprint != password_fingerprint(user)
    )


def device_of(user: User, device_id: str) -> OfflineDevice | None:
    """The device of `user` with that id, if it is still in force."""
    try:
        pk = uuid.UUID(device_id)
    except (TypeError, ValueError):
        return None
    device = OfflineDevice.objects.select_related("user").filter(user=user, pk=pk).first()
    if device is None or _ended(device):
        return None
    return device


def must_wipe(device_id: str, token: str) -> bool:
    """Whether the device must wipe its offline data (asked without a session).

    Yes for an unknown or revoked device, a deactivated account or one no longer working on
    cases, and after a password change (a reset after a lost phone, or sessions ended).
    """
    try:
        pk = uuid.UUID(device_id)
    except (TypeError, ValueError):
        return True
    device = OfflineDevice.objects.select_related("user").filter(pk=pk).first()
    if device is None or not secrets.compare_digest(device.digest, digest(token)):
        return True
    if _ended(device):
        return True
    OfflineDevice.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
    return False


@transaction.atomic
def revoke_devices(user: User, *, by: User | None = None, detail: str = "ended") -> int:
    """End every device of `user` (on sign-out: the device has wiped itself too), each in the
    audit log as done by `by` (an admin's deactivation or reset), else by the person."""
    devices = list(
        OfflineDevice.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    )
    if not devices:
        return 0
    OfflineDevice.objects.filter(pk__in=[device.pk for device in devices]).update(
        revoked_at=timezone.now()
    )
    record_each(
        by or user,
        AuditEvent.Action.PERMISSION_CHANGE,
        [(device, f"offline_device_{detail}") for device in devices],
    )
    return len(devices)


# The outbox


@dataclass
class Outcome:
    """What became of one outbox item: `applied` (or `replayed`), `conflict` or `refused`."""

    status: str
    object_id: str = ""
    current: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


class _Conflict(Exception):
    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__("conflict")
        self.current = current


def _errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            name: [str(m) for m in ValidationError(msgs).messages]
            for name, msgs in error.error_dict.items()
        }
    return {"__all__": [str(message) for message in error.messages]}


def _form_errors(form: forms.BaseForm) -> dict[str, list[str]]:
    """The errors of `form` by field name, with those of the contact's next appointment under
    the names the phone sent them by (`next-date`...)."""
    errors = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
    nested = getattr(form, "next_appointment", None)
    if nested is not None:
        for name, msgs in nested.errors.items():
            errors[nested.add_prefix(name)] = [str(m) for m in msgs]
    return errors


def _stored_with_answers(
    case: Case,
    user: User,
    kind: str,
    form: forms.BaseForm,
    store: Callable[..., Any],
    **more: Any,
) -> uuid.UUID:
    """Store the record (`store`, its service, given `more`) and its answers to the
    organisation's own fields, in one transaction (`cases.extra_fields.saving`); return the
    record's id."""
    stored = extra_fields.saving(
        form,
        EXTENDED[kind],
        lambda: store(case, by=user, data=extra_fields.own_data(form), **more),
        case=case,
        record_id=lambda record: record.pk,
        by=user,
    )
    pk: uuid.UUID = stored.pk
    return pk


def _apply_assessment(
    case: Case, user: User, base: Mapping[str, Any], form: forms.BaseForm
) -> uuid.UUID:
    latest = case.assessments.order_by("-created_at").first()
    seen = base.get("latest_assessment") or None
    if latest is not None and str(latest.pk) != seen:
        # Someone recorded an assessment since the phone took the case: two reviews of the same
        # person are not merged or replaced silently; the person decides.
        raise _Conflict(
            {
                "latest_assessment": str(latest.pk),
                "date": latest.date.isoformat(),
                "by": str(latest.recorded_by),
                "informed_decisions": latest.informed_decisions,
                "engage_procedures": latest.engage_procedures,
                "wellbeing": latest.wellbeing,
            }
        )
    return _stored_with_answers(
        case, user, OfflineSync.Kind.ASSESSMENT, form, case_services.record_assessment
    )


def _apply_action_status(
    case: Case, user: User, base: Mapping[str, Any], data: Mapping[str, Any]
) -> uuid.UUID:
    try:
        pk = uuid.UUID(str(data.get("action")))
    except ValueError:
        raise ValidationError({"action": _("Choose an action of this case.")}) from None
    action = get_case_object(user, Action, pk, case_path="goal__plan__case")
    # The people and the case first, in the order of erasure and of every change of a plan
    # (`require_editable_plan`), then the row: the case locked before the person, a member's
    # erasure under way and this change waited for each other.
    case_services.lock_as_stored(case, "plan", member_id=action.goal.plan.person_id)
    action = (
        Action.objects.select_for_update(of=("self",)).select_related("goal__plan__case").get(pk=pk)
    )
    if action.goal.plan.case_id != case.pk:
        raise ValidationError({"action": _("Choose an action of this case.")})
    status = data.get("status")
    if status not in Action.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    if action.status == status:
        return action.pk  # already so on the server: nothing to change, nothing lost
    if action.status != base.get("status"):
        raise _Conflict({"status": action.status, "label": action.get_status_display()})
    # Its conflict is the status seen (`base`), checked above on the row locked since.
    case_services.set_action_status(action, by=user, status=status, expected_version=action.version)
    return action.pk


def apply_item(
    user: User,
    *,
    key: uuid.UUID,
    kind: str,
    case_id: uuid.UUID,
    base: Mapping[str, Any],
    data: Mapping[str, Any],
    queued_at: datetime.datetime | None,
) -> Outcome:
    """Apply one outbox item once: a replay of `key` changes nothing and gives the first result.

    `data` is what the phone's form sent; it is checked by the form of its kind with the
    organisation's own fields (`item_form`). Raises Http404 for a case or action outside the
    user's scope. Every outcome is audited.
    """
    done = OfflineSync.objects.filter(user=user, key=key).first()
    if done is not None:
        return Outcome("replayed", str(done.object_id))
    case = get_case_for_user(user, case_id, for_work=True)
    form = item_form(user, case, kind, data)
    if not form.is_valid():
        record(user, AuditEvent.Action.UPDATE, case, detail=f"offline_sync_refused:{kind}")
        return Outcome("refused", errors=_form_errors(form))
    try:
        with transaction.atomic():
            if kind == OfflineSync.Kind.CONTACT:
                object_id = _stored_with_answers(
                    case, user, kind, form, case_services.log_contact,
                    next_appointment=form.appointment(),  # type: ignore[attr-defined]
                )  # fmt: skip
            elif kind == OfflineSync.Kind.ASSESSMENT:
                object_id = _apply_assessment(case, user, base, form)
            else:
                object_id = _apply_action_status(case, user, base, form.cleaned_data)
            sync = OfflineSync.objects.create(
                user=user, key=key, kind=kind, case=case, object_id=object_id, queued_at=queued_at
            )
            record(user, AuditEvent.Action.UPDATE, case, detail=f"offline_sync:{kind}")
    except IntegrityError:
        # The same item sent twice at once: the other request applied it.
        done = OfflineSync.objects.filter(user=user, key=key).first()
        if done is None:
            raise
        return Outcome("replayed", str(done.object_id))
    except _Conflict as conflict:
        record(user, AuditEvent.Action.UPDATE, case, detail=f"offline_sync_conflict:{kind}")
        return Outcome("conflict", current=conflict.current)
    except ValidationError as error:
        record(user, AuditEvent.Action.UPDATE, case, detail=f"offline_sync_refused:{kind}")
        return Outcome("refused", errors=_errors(error))
    return Outcome("applied", str(sync.object_id))
