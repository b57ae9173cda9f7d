import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation, User
from engage.cases.models.person import Person
from engage.lib.scoping import organisation_scoped


class PossibleDuplicate(models.Model):
    """Two records that may be one person, found when the second was registered.

    The person who registered it could not tell (the first record may be in a caseload they
    cannot open) and said it is a different person; a supervisor who can open both decides.
    Records decided to be the same person count as one in the network dataset (`person_ref`).
    """

    class Reason(models.TextChoices):
        IDENTITY = "identity", _("a name that sounds the same and the same date of birth")
        DOCUMENT = "document", _("the same document number")
        PHONE = "phone", _("the same phone number")

    class Decision(models.TextChoices):
        OPEN = "open", _("Waiting for a supervisor")
        SAME = "same_person", _("The same person")
        DIFFERENT = "different_people", _("Different people")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    # The record registered second, and the one already known. No reverse accessors: the
    # subject export (which walks relations back from a person) must not list the other one.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    other = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("other person")
    )
    reasons = models.JSONField(default=list, verbose_name=_("reasons"))
    flagged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("flagged by")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(
        _("decision"), max_length=20, choices=Decision.choices, default=Decision.OPEN
    )
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))

    objects = organisation_scoped("organisation")

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["person", "other"], name="one_flag_per_pair"),
        ]
        indexes = [models.Index(fields=["organisation", "decision"])]

    def __str__(self) -> str:
        return str(_("Possible duplicate"))

    def reason_labels(self) -> list[str]:
        labels = dict(self.Reason.choices)
        return [str(labels[reason]) for reason in self.reasons if reason in labels]
