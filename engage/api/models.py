import hashlib
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User


class PersonalAccessToken(models.Model):
    """A token one member of staff made to call the API as themselves.

    Only the SHA-256 digest of the token is kept (the token is 256 random bits, so a slow hash
    would add nothing); the token itself is shown once, when it is made. The prefix is its
    first characters, shown so that its owner can tell their tokens apart.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires on"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)
    # Which password its owner had when it was made (a digest of the password's hash): a
    # token ends when the password changes, by whatever path, like the owner's sessions.
    password_fingerprint = models.CharField(max_length=64, blank=True, db_default="")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("personal access token")
        verbose_name_plural = _("personal access tokens")

    def __str__(self) -> str:
        return self.name

    @property
    def ended_by_password_change(self) -> bool:
        return self.password_fingerprint != password_fingerprint(self.user)

    @property
    def in_force(self) -> bool:
        return (
            self.revoked_at is None
            and self.expires_at > timezone.now()
            and not self.ended_by_password_change
        )


def password_fingerprint(user: User) -> str:
    """Return what identifies `user`'s current password to their tokens (not the password)."""
    return hashlib.sha256(f"engage-api-token:{user.password}".encode()).hexdigest()


class SubmissionToken(models.Model):
    """A token a pilot's own instance sends its network submission to the hub with.

    Made by the network coordinator at the hub for one pilot, and good for one thing only:
    `POST /api/v1/submissions/` of that pilot's submission (`engage submit_dataset --hub`).
    It belongs to no user, so it reads nothing: the API's data endpoints look tokens up among
    the personal access tokens only. Kept like them: the SHA-256 digest, never the token,
    and its first characters to tell tokens apart; an expiry; revocable.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pilot = models.CharField(_("pilot"), max_length=13)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires on"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)

    class Meta:
        ordering = ["pilot", "-created_at"]
        verbose_name = _("submission token")
        verbose_name_plural = _("submission tokens")

    def __str__(self) -> str:
        return f"{self.pilot} {self.name}"

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
