"""The requests of the people whose data we hold: a copy of their data, or its erasure.

`SubjectRequest` lived in `sharing` until the rights were brought together here (issue 16);
its table kept its name, so moving it moved no row (migrations: `sharing` 0005 and
`privacy` 0001, both state-only).
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User
from engage.cases.models import Case, Person
from engage.lib.fields import EncryptedCharField
from engage.lib.scoping import organisation_scoped


class SubjectRequest(models.Model):
    """A person asks for their own data, a correction, or erasure (GDPR arts. 15-17, 20)."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("A copy of their data")
        ERASURE = "erasure", _("Erasure of their data")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="subject_requests", verbose_name=_("person")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="subject_requests", verbose_name=_("case")
    )
    kind = models.CharField(_("the person asks for"), max_length=10, choices=Kind.choices)
    requested_on = models.DateField(_("asked on"))
    identity_check = EncryptedCharField(
        _("how we made sure it is them"),
        max_length=200,
        help_text=_("For example: in person, with the case manager who knows them."),
    )
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    objects = organisation_scoped("case__organisation")

    class Meta:
        # The table of its first home: the model moved, the rows did not.
        db_table = "sharing_subjectrequest"
        ordering = ["-requested_on", "-recorded_at"]
        verbose_name = _("request from the person")
        verbose_name_plural = _("requests from the person")

    def __str__(self) -> str:
        return f"{self.kind} {self.requested_on}"
