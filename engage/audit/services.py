"""Writing audit events. Called by the services and views that read or change records."""

from django.db import models
from django.http import HttpRequest

from engage.audit.models import AuditEvent


def record(
    actor, action: str, obj: models.Model, *, detail: str = "", request: HttpRequest | None = None
) -> AuditEvent:
    """Record that `actor` did `action` on `obj`; `detail` must hold no personal value."""
    return AuditEvent.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_role=getattr(actor, "role", ""),
        organisation_id=getattr(actor, "organisation_id", None)
        or getattr(obj, "organisation_id", None),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        detail=detail,
        ip=request.META.get("REMOTE_ADDR") if request is not None else None,
    )
