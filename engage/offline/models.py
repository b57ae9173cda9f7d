"""What a person took offline, the devices holding it, and the outbox items already applied."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User
from engage.cases.models import Case
from engage.lib.scoping import organisation_scoped


class OfflineCase(models.Model):
    """A case one person marked for today's visits ("take offline")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="offline_cases", verbose_name=_("user")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case")
    )
    taken_at = models.DateTimeField(auto_now_add=True, verbose_name=_("taken at"))

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["taken_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "case"], name="offline_case_once_per_user")
        ]
        verbose_name = _("case taken offline")
        verbose_name_plural = _("cases taken offline")

    def __str__(self) -> str:
        return str(_("Case taken offline"))


class OfflineDevice(models.Model):
    """A browser that keeps a person's offline cases, encrypted.

    The device proves itself with a random token, of which only the SHA-256 digest is kept; the
    token only lets it ask whether it must wipe (`services.device_status`). Its wrap key is not
    stored: it is derived from the server's secret and the device's id, and handed out only to
    the signed-in owner. Like a calendar feed, it ends with a password change or deactivation.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="offline_devices")
    digest = models.CharField(max_length=64, unique=True)
    # Which password its owner had when it was registered (a digest of the password's hash).
    password_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("offline device")
        verbose_name_plural = _("offline devices")

    def __str__(self) -> str:
        return str(_("Offline device"))


class OfflineSync(models.Model):
    """An outbox item applied once: a replay of its key gives back this result, changing nothing.

    Only applied items are kept: a conflict or a refusal changes nothing, so the same item can
    come back with the person's resolution under the same key.
    """

    class Kind(models.TextChoices):
        CONTACT = "contact", _("Contact")
        ASSESSMENT = "assessment", _("Assessment")
        ACTION_STATUS = "action_status", _("Action status")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.UUIDField(verbose_name=_("key"))
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case")
    )
    # The record made or changed (a contact, an assessment, an action): ids only.
    object_id = models.UUIDField(verbose_name=_("record"))
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    applied_at = models.DateTimeField(auto_now_add=True, verbose_name=_("applied at"))

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["applied_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="offline_sync_key_once_per_user")
        ]
        verbose_name = _("change made offline")
        verbose_name_plural = _("changes made offline")

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
