"""Submissions imported at the network hub, and their rows (no personal data by contract)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User
from engage.mel.dataset import COLUMNS


class Submission(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pilot = models.CharField(_("pilot"), max_length=13, db_index=True)
    period_end = models.CharField(_("period end"), max_length=7)
    generated_at = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.pilot} {self.period_end}"


class DatasetRow(models.Model):
    """One enrollment as a pilot submitted it: the dataset's columns, as text."""

    id = models.BigAutoField(primary_key=True)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    # The columns of the dataset, in its order (see dataset.COLUMNS).
    pilot = models.CharField(max_length=13, blank=True)
    case_ref = models.CharField(max_length=64, blank=True)
    person_ref = models.CharField(max_length=64, blank=True)
    household_ref = models.CharField(max_length=64, blank=True)
    city = models.CharField(max_length=120, blank=True)
    referral_month = models.CharField(max_length=24, blank=True)
    referral_source = models.CharField(max_length=24, blank=True)
    detention_at_referral = models.CharField(max_length=24, blank=True)
    migration_status = models.CharField(max_length=24, blank=True)
    sex = models.CharField(max_length=24, blank=True)
    age_band = models.CharField(max_length=24, blank=True)
    nationality_region = models.CharField(max_length=40, blank=True)
    vulnerable = models.CharField(max_length=24, blank=True)
    vulnerabilities = models.CharField(max_length=60, blank=True)
    family_with_children = models.CharField(max_length=24, blank=True)
    included = models.CharField(max_length=24, blank=True)
    inclusion_month = models.CharField(max_length=24, blank=True)
    engagement_level = models.CharField(max_length=24, blank=True)
    status = models.CharField(max_length=24, blank=True)
    closure_month = models.CharField(max_length=24, blank=True)
    closure_reason = models.CharField(max_length=24, blank=True)
    outcome = models.CharField(max_length=24, blank=True)
    outcome_permanence = models.CharField(max_length=24, blank=True)
    idm_baseline = models.CharField(max_length=24, blank=True)
    idm_latest = models.CharField(max_length=24, blank=True)
    engage_baseline = models.CharField(max_length=24, blank=True)
    engage_latest = models.CharField(max_length=24, blank=True)
    wellbeing_baseline = models.CharField(max_length=24, blank=True)
    wellbeing_latest = models.CharField(max_length=24, blank=True)
    assessments = models.CharField(max_length=24, blank=True)
    contacts = models.CharField(max_length=24, blank=True)
    face_to_face_contacts = models.CharField(max_length=24, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pilot", "case_ref"], name="unique_row_per_pilot_case")
        ]

    def __str__(self) -> str:
        return f"{self.pilot} {self.case_ref}"

    def as_row(self) -> dict[str, str]:
        return {column: getattr(self, column) for column in COLUMNS}
