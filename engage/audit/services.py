"""Writing audit events. Called by the services and views that read or change records."""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from engage.audit.models import AuditEvent
from engage.lib.client_address import client_address


def record(
    actor: object,
    action: str,
    obj: models.Model | None = None,
    *,
    detail: str = "",
    request: HttpRequest | None = None,
    high_severity: bool = False,
    organisation_id: UUID | None = None,
) -> AuditEvent:
    """Record that `actor` did `action` (on `obj`); `detail` must hold no personal value."""
    event = _event(actor, action, obj, detail, request, high_severity, organisation_id)
    event.save(force_insert=True)
    return event


def record_each(
    actor: object, action: str, entries: Iterable[tuple[models.Model, str]]
) -> list[AuditEvent]:
    """Record that `actor` did `action` on each object with its detail, in one insert: the
    entries `record` would write one by one, for a service writing many records at once."""
    events = [_event(actor, action, obj, detail, None, False, None) for obj, detail in entries]
    return AuditEvent.objects.bulk_create(events, batch_size=500)


def _event(
    actor: object,
    action: str,
    obj: models.Model | None,
    detail: str,
    request: HttpRequest | None,
    high_severity: bool,
    organisation_id: UUID | None,
) -> AuditEvent:
    return AuditEvent(
        actor_id=getattr(actor, "pk", None),
        actor_role=getattr(actor, "role", ""),
        organisation_id=organisation_id
        or getattr(actor, "organisation_id", None)
        or getattr(obj, "organisation_id", None),
        action=action,
        high_severity=high_severity,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        detail=detail,
        **origin(request),
    )


def origin(request: HttpRequest | None) -> dict[str, Any]:
    """The request's part of an audit entry: the client's address and the request id."""
    if request is None:
        return {"ip": None, "request_id": ""}
    return {"ip": client_address(request), "request_id": getattr(request, "request_id", "")}


def refused_too_often(request: HttpRequest | None, refused: str) -> bool:
    """Whether the address of `request` was refused (failed sign-in entries whose detail starts
    with `refused`) as often as the sign-in lockout allows (`AXES_FAILURE_LIMIT` within
    `AXES_COOLOFF_TIME`): the calendar feed's reads and the API's tokens. Past that, a refusal
    is not written any more: the log is append-only, and a caller with no account at all
    otherwise grew it by one row a request, without end (docs/security.md, item 101)."""
    if request is None:
        return False
    failures = AuditEvent.objects.filter(
        at__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
        action=AuditEvent.Action.LOGIN_FAILED,
        detail__startswith=refused,
        ip=client_address(request),
    )
    return failures.count() >= settings.AXES_FAILURE_LIMIT
