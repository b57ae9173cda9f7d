import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One thing a person did or saw. Ids and names of kinds only, never personal values."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        TRANSITION = "transition", _("moved to a new stage")
        APPROVE = "approve", _("approved")
        REJECT = "reject", _("sent back")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.UUIDField(null=True)
    actor_role = models.CharField(max_length=32, blank=True)
    organisation_id = models.UUIDField(null=True, db_index=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.UUIDField(null=True, db_index=True)
    detail = models.CharField(
        max_length=200, blank=True, help_text=_("A code or field names, never a personal value.")
    )
    ip = models.GenericIPAddressField(null=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type}"
