import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation, User
from engage.lib.fields import EncryptedCharField, EncryptedTextField
from engage.lib.scoping import organisation_scoped


class SavedMapping(models.Model):
    """A named mapping of a spreadsheet's columns (and values) to Engage's fields, reused for
    the next file of the same shape. Holds header names and choice words, no personal data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = organisation_scoped("organisation")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unique_import_mapping_name"
            )
        ]
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One uploaded file on its way in: mapped, checked, then stored all at once.

    The file itself is stored encrypted outside the web root (`imports.storage`) until the
    import is stored, discarded or expires; the report (which quotes cells) is encrypted too.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for the mapping")
        CHECKED = "checked", _("Checked")
        QUEUED = "queued", _("Waiting to be stored")
        RUNNING = "running", _("Being stored")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")
        DISCARDED = "discarded", _("Discarded")
        EXPIRED = "expired", _("Expired")
        ERASED = "erased", _("Deleted: it held data of a person since erased")

    class Phase(models.TextChoices):
        CHECKING = "checking", _("Checking the rows")
        STORING = "storing", _("Storing every row in one transaction")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    filename = EncryptedCharField(_("file"), max_length=255)
    headers = EncryptedTextField(default="[]")  # JSON: the file's column headers
    row_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    mapping = models.JSONField(default=dict)
    decisions = models.JSONField(default=dict)  # {"line": "skip" | "import"} for duplicates
    report = EncryptedTextField(default="")  # JSON of validation.Report.as_json()
    phase = models.CharField(max_length=12, choices=Phase.choices, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    # Runs started by a worker; a temporary failure queues the job again (docs/tasks.md).
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = organisation_scoped("organisation")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.filename

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))
