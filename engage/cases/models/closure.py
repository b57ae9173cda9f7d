import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User
from engage.cases.models.case import Case, Outcome, Permanence
from engage.cases.models.process import ApprovalRequest
from engage.lib.fields import EncryptedCharField, EncryptedTextField
from engage.lib.scoping import organisation_scoped


class ClosureReason(models.TextChoices):
    RESOLVED = "resolved", _("Case resolved")
    DISENGAGED = "disengaged", _("Disengaged")
    ABSCONDED = "absconded", _("Absconded")
    REMOVED = "removed", _("Forcibly removed")
    DETAINED = "detained", _("Detained")
    TRANSFERRED = "transferred", _("Transferred")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class DisengagementFactor(models.TextChoices):
    NEGATIVE_DECISION = "negative_decision", _("A negative decision on the case")
    FEAR = "fear", _("Fear of detention or removal")
    TRUST = "trust", _("Lost trust in the programme or the authorities")
    BASIC_NEEDS = "basic_needs", _("Basic needs not met")
    HEALTH = "health", _("Health or mental health")
    MOVED = "moved", _("Moved to another city or country")
    FAMILY = "family", _("Family or community reasons")
    CONTACT_LOST = "contact_lost", _("Contact lost, reason not known")
    OTHER = "other", _("Other")


class Closure(ApprovalRequest):
    """A request to close a case, and the supervisor's approval or refusal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="closures", verbose_name=_("case")
    )
    date = models.DateField(_("closing date"))
    reason = models.CharField(_("reason"), max_length=16, choices=ClosureReason.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_permanence = models.CharField(
        _("permanence"), max_length=10, choices=Permanence.choices, blank=True
    )
    onward_referral = EncryptedCharField(
        _("onward referral"),
        max_length=300,
        blank=True,
        help_text=_("Where the client was referred on, if anywhere."),
    )
    disengagement_factors = models.JSONField(_("factors in the disengagement"), default=list)
    disengagement_other = EncryptedCharField(_("other factor"), max_length=300, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    # status, reviewed_by, reviewed_at, review_note: ApprovalRequest
    # A closure sent back stays in front of the case manager until they ask again or decide,
    # with the supervisor, to keep the case open (then this is set).
    kept_open_at = models.DateTimeField(null=True, blank=True, verbose_name=_("kept open at"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["created_at"]
        # Whether a case waits for approval (what is due), without reading every closure.
        indexes = [
            models.Index(
                fields=["case"], condition=models.Q(status="pending"), name="closure_pending"
            )
        ]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self) -> str:
        return f"{self.case} {self.reason} {self.status}"

    def get_disengagement_factors_display(self) -> list[str]:
        labels = dict(DisengagementFactor.choices)
        return [str(labels.get(code, code)) for code in self.disengagement_factors]
