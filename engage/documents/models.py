import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User
from engage.cases.models import Case
from engage.lib.fields import EncryptedCharField
from engage.lib.scoping import organisation_scoped


class Document(models.Model):
    """A file attached to a case: stored encrypted outside the web root, metadata stripped."""

    class Kind(models.TextChoices):
        DECISION = "decision", _("Decision letter")
        CERTIFICATE = "certificate", _("Certificate (medical, school, other)")
        IDENTITY = "identity", _("Identity or residence document")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="documents", verbose_name=_("case")
    )
    kind = models.CharField(_("kind of document"), max_length=12, choices=Kind.choices)
    title = EncryptedCharField(_("title"), max_length=200)
    content_type = models.CharField(max_length=40, editable=False, verbose_name=_("file type"))
    size = models.PositiveIntegerField(editable=False, verbose_name=_("size"))
    uploaded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title
