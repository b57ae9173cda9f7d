import uuid
from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("The audit log is append-only.")


class AuditEvent(models.Model):
    """One thing a person did or saw. Ids and names of kinds only, never personal values."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        TRANSITION = "transition", _("moved to a new stage")
        APPROVE = "approve", _("approved")
        REJECT = "reject", _("sent back")
        LOGIN = "login", _("signed in")
        LOGOUT = "logout", _("signed out")
        LOGIN_FAILED = "login_failed", _("failed to sign in")
        LOCKOUT = "lockout", _("was locked out")
        PASSWORD_CHANGE = "password_change", _("changed their password")
        PERMISSION_CHANGE = "permission_change", _("changed a role or access")
        EXPORT = "export", _("exported")
        SHARE = "share", _("shared")
        SHARE_REFUSED = "share_refused", _("was refused sharing")
        OVERRIDE = "override", _("overrode consent")
        ERASE = "erase", _("erased")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.UUIDField(null=True)
    actor_role = models.CharField(max_length=32, blank=True)
    organisation_id = models.UUIDField(null=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    high_severity = models.BooleanField(default=False)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.UUIDField(null=True, db_index=True)
    detail = models.CharField(
        max_length=200, blank=True, help_text=_("A code or field names, never a personal value.")
    )
    ip = models.GenericIPAddressField(null=True)
    request_id = models.CharField(max_length=32, blank=True)
    # The hash chain (engage/lib/chain.py), filled in by the database when the entry is
    # committed, never by the application: position, digest of the content, chain hash.
    # Null until sealed (hence null=True on text columns, against the usual rule).
    seq = models.BigIntegerField(null=True, editable=False)
    digest = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    chain = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    values_digest = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        # Partial, so that SQLite adds it without rebuilding the table (and its triggers).
        constraints = [
            models.UniqueConstraint(
                fields=["seq"], condition=models.Q(seq__isnull=False), name="audit_seq_unique"
            )
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The audit log is append-only.")
