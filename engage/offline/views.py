"""The offline app shell, its service worker and manifest, and the device's JSON endpoints.

The shell, the service worker and the manifest hold no personal data: they answer without a
session so the installed app opens offline. Case data travels only in the bundle (JSON, to a
registered device of the signed-in case worker, audited) and is kept on the device encrypted.
"""

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.permissions import role_required
from engage.cases.access import CASE_WORKERS, get_case_for_user
from engage.cases.forms import AssessmentForm, ContactForm
from engage.cases.models import Action, Appointment, Assessment, Contact, EngagementLevel
from engage.cases.models.process import VULNERABILITY_DOMAINS
from engage.lib.forms import run_service
from engage.lib.untrusted import untrusted_json
from engage.offline import services
from engage.offline.forms import ITEM_FORMS
from engage.offline.models import OfflineDevice

DEVICE_HEADER = "X-Engage-Device"  # "<device id>.<token>" or "<device id>"

# What the service worker keeps: the shell and the static files it needs, nothing else.
SHELL_ASSETS = (
    "engage/engage.css",
    "engage/offline.css",
    "engage/offline.js",
    "engage/offline-register.js",
    "engage/icons/engage-192.png",
    "engage/icons/engage-512.png",
)


def _device_header(request: HttpRequest) -> tuple[str, str]:
    device_id, _dot, token = request.headers.get(DEVICE_HEADER, "").partition(".")
    return device_id, token


def _device(request: AuthenticatedHttpRequest) -> OfflineDevice:
    device = services.device_of(request.user, _device_header(request)[0])
    if device is None:
        raise Http404
    return device


@login_not_required
@require_GET
def shell(request: HttpRequest) -> HttpResponse:
    """The "Offline visits" page: rendered on the device from the decrypted bundle."""
    # Labelled as the web's own forms label them, which check what the phone sends (forms.py).
    contact, assessment = ContactForm(), AssessmentForm()
    return render(
        request,
        "offline/shell.html",
        {
            "contact_types": Contact.Type.choices,
            "contact": {name: field.label for name, field in contact.fields.items()},
            "next": {
                name: (contact.next_appointment.add_prefix(name), field.label)
                for name, field in contact.next_appointment.fields.items()
            },
            "appointment_kinds": Appointment.Kind.choices,
            "engagement_levels": EngagementLevel.choices,
            # Each domain's concern and its note, the note asked once the concern is ticked.
            "vulnerabilities": [
                (f"vulnerability_{code}", label, f"vulnerability_{code}_note")
                for code, label in VULNERABILITY_DOMAINS
            ],
            "note_label": assessment.fields["vulnerability_child_note"].label,
            "triggers": Assessment.Trigger.choices,
            "action_statuses": Action.Status.choices,
            "strings": _strings(),
            # The cases opened on the phone are hidden again after the web's idle limit.
            "idle_seconds": settings.ENGAGE_IDLE_MINUTES * 60,
            "ratings": [
                ("informed_decisions", _("Ability to participate in informed decision making")),
                ("engage_procedures", _("Ability to engage with immigration procedures")),
                ("wellbeing", _("Coping and well-being")),
            ],
        },
    )


def _strings() -> dict[str, str]:
    """The texts offline.js shows, translated here (no JavaScript catalogue)."""
    return {
        "online": _("Connected"),
        "offline": _("No connection: what you save waits on this phone."),
        "signed_out": _("Sign in again to send what waits; it stays on this phone meanwhile."),
        "sign_in": _("Sign in again"),
        "pin_short": _("The PIN needs at least 6 characters."),
        "pin_differ": _("The two PINs differ."),
        "pin_wrong": _("Wrong PIN. %(left)s attempts left before the offline data is deleted."),
        "wiped_pin": _("Five wrong PINs: the offline data was deleted from this phone."),
        "wiped_expired": _(
            "The offline data was deleted from this phone: it was not connected to Engage "
            "for too long."
        ),
        "wiped_server": _("Engage asked this phone to delete its offline data."),
        "wiped_other": _(
            "Someone else is signed in: the offline data of the previous person was deleted."
        ),
        "not_allowed": _("Your role does not keep cases offline."),
        "downloaded": _("Cases kept on this phone until %(until)s, unless you connect again."),
        "saved": _("Saved on this phone; it is sent when the connection returns."),
        "sent": _("Sent to Engage."),
        "waiting_since": _("waiting since %(when)s"),
        "kind_contact": _("Contact"),
        "kind_assessment": _("Assessment"),
        "kind_action_status": _("Action status"),
        "for_case": _("for %(reference)s"),
        "conflict_action": _(
            "Changed in Engage meanwhile: the action is now “%(status)s”. Yours: “%(mine)s”."
        ),
        "conflict_assessment": _(
            "An assessment of %(date)s by %(by)s was recorded in Engage meanwhile."
        ),
        "refused": _("Not accepted by Engage: %(reason)s"),
        "gone": _("This case is no longer yours to work on."),
        "keep_mine": _("Keep mine"),
        "keep_theirs": _("Keep theirs"),
        "edit": _("Edit"),
        "discard": _("Delete it"),
        "no_phone": _("not recorded"),
        "none": _("none"),
        "due": _("due %(date)s"),
        "required": _("Fill in the date and every rating."),
        "required_field": _("Answer “%(field)s”: it is required."),
        "setting_up": _("Downloading and encrypting…"),
        "locked": _(
            "The cases were hidden after a while without use. Type your PIN to show them "
            "again, with any form you were filling in."
        ),
    }


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the root so its scope covers the app (a template, for the
    static files' real addresses; the CSP middleware still adds its header)."""
    response = render(
        request,
        "offline/sw.js",
        {"assets": [static(name) for name in SHELL_ASSETS], "version": _assets_version()},
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response


def _assets_version() -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "|".join(static(n) for n in SHELL_ASSETS)).hex[:12]


@login_not_required
@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: Engage installs from the browser, no app store."""
    return JsonResponse(
        {
            "name": "Engage",
            "short_name": "Engage",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1d4f6e",
            "icons": [
                {
                    "src": static(f"engage/icons/engage-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                }
                for size in (192, 512)
            ],
        },
        content_type="application/manifest+json",
    )


@login_not_required
@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """Whether this browser may keep offline data, and who is signed in (with a CSRF token).

    Answered without a session too: a device whose owner was deactivated, whose password was
    reset or who signed out elsewhere learns here that it must wipe.
    """
    device_id, token = _device_header(request)
    user = request.user
    signed_in = bool(user.is_authenticated)
    wipe = bool(device_id) and services.must_wipe(device_id, token)
    if signed_in and device_id and not wipe:
        # Another person signed in on this browser: the device's data is not theirs.
        wipe = services.device_of(user, device_id) is None  # type: ignore[arg-type]
    body: dict[str, Any] = {"signed_in": signed_in, "wipe": wipe}
    if signed_in:
        body |= {
            "user": str(user.pk),
            "allowed": services.may_work_offline(user),  # type: ignore[arg-type]
            "csrf": get_token(request),
        }
    return JsonResponse(body)


@role_required(*CASE_WORKERS)
@require_POST
def take(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    run_service(
        request,
        None,
        lambda: services.take_offline(case, by=request.user),
        _("Taken offline: open Offline visits on your phone while connected."),
    )
    return redirect(case)


@role_required(*CASE_WORKERS)
@require_POST
def release(request: AuthenticatedHttpRequest, pk: uuid.UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    services.release(case, by=request.user)
    messages.success(request, _("No longer kept offline."))
    return redirect(case)


@role_required(*CASE_WORKERS)
@require_POST
def key(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Register this device, or give a registered one its wrap key (signed in only)."""
    device_id = _device_header(request)[0]
    if device_id:
        device = services.device_of(request.user, device_id)
        if device is None:
            return JsonResponse({"wipe": True}, status=410)
        return JsonResponse({"device": str(device.pk), "wrap_key": services.wrap_key(device)})
    try:
        device, token = services.register_device(request.user)
    except ValidationError:
        raise Http404 from None
    return JsonResponse(
        {"device": str(device.pk), "token": token, "wrap_key": services.wrap_key(device)},
        status=201,
    )


@role_required(*CASE_WORKERS)
@require_GET
def bundle(request: AuthenticatedHttpRequest) -> JsonResponse:
    """The minimal data of the cases taken offline, for a registered device (audited)."""
    _device(request)
    return JsonResponse(services.bundle(request.user))


def _as_posted(data: dict[str, Any]) -> QueryDict:
    """What the phone's form sent, as the web's form receives it when posted: the texts of
    each field (a list for a group of ticked boxes; a tick is "true" or "false"). A value of
    any other shape (an object, a list in a list) raises TypeError: the forms read text only."""
    posted = QueryDict(mutable=True)
    for name, value in data.items():
        texts = []
        for one in value if isinstance(value, list) else [value]:
            if isinstance(one, bool):
                texts.append("true" if one else "false")
            elif isinstance(one, str | int | float):
                texts.append(str(one))
            elif one is not None:
                raise TypeError
        posted.setlist(name, texts)
    return posted


@role_required(*CASE_WORKERS)
@require_POST
def sync(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Apply one outbox item: 201 applied, 200 a replay, 409 conflict, 422 refused, 404 scope."""
    _device(request)
    try:
        item = untrusted_json(request.body)
        item_key = uuid.UUID(str(item["key"]))
        case_id = uuid.UUID(str(item["case"]))
        kind = str(item["kind"])
        data = item.get("data") or {}
        base = item.get("base") or {}
        if kind not in ITEM_FORMS or not isinstance(data, dict) or not isinstance(base, dict):
            raise TypeError
        data = _as_posted(data)
        # When the phone queued it, as its clock said: a day that does not exist (30 February)
        # is a bad item too, not a server error; one without its zone is UTC, as the phone's are.
        queued_at = parse_datetime(str(item["queued_at"])) if item.get("queued_at") else None
        if queued_at is not None and timezone.is_naive(queued_at):
            queued_at = timezone.make_aware(queued_at, datetime.UTC)
        if queued_at is not None:
            # As it is stored; a time before year 1 or after 9999 in UTC is none (OverflowError).
            queued_at = queued_at.astimezone(datetime.UTC)
    except (ValueError, KeyError, TypeError, OverflowError):
        return JsonResponse({"status": "refused", "errors": {"__all__": ["bad item"]}}, status=400)
    outcome = services.apply_item(
        request.user,
        key=item_key,
        kind=kind,
        case_id=case_id,
        base=base,
        data=data,
        queued_at=queued_at,
    )
    code = {"applied": 201, "replayed": 200, "conflict": 409, "refused": 422}[outcome.status]
    return JsonResponse(
        {
            "status": outcome.status,
            "id": outcome.object_id,
            "current": outcome.current,
            "errors": outcome.errors,
        },
        status=code,
    )
