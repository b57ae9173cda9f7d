"""A person's calendar feed: the secret address their phone's calendar reads appointments from."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User


class CalendarFeed(models.Model):
    """One secret feed address of one member of staff (docs/agenda.md).

    Only the SHA-256 digest of the key is kept (the key is 256 random bits, so a slow hash
    would add nothing); the address is shown once, when it is made. A person has at most one
    feed in force: making a new one revokes the previous one. Like an API token, a feed ends
    when its owner's password changes or their account is deactivated.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    digest = models.CharField(max_length=64, unique=True)
    # Which password its owner had when it was made (a digest of the password's hash).
    password_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last read"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)
    # The rate limit: how many times the feed was read since the window started.
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_reads = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(_("Calendar feed"))
