"""Appointments: what is planned with the client, not only what happened (issue 11 #2)."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engage.accounts.models import User
from engage.cases.models.case import Case
from engage.lib.fields import EncryptedCharField
from engage.lib.scoping import ScopedQuerySet, organisation_scoped


def validate_planned_date(value: datetime.date) -> None:
    """An appointment is planned for today or a later day."""
    if value < timezone.localdate():
        raise ValidationError(_("Choose today or a later day."), code="past_appointment")


class AppointmentQuerySet(ScopedQuerySet):
    def planned(self) -> "AppointmentQuerySet":
        return self.filter(status=Appointment.Status.PLANNED)

    def between(self, first: datetime.date, last: datetime.date) -> "AppointmentQuerySet":
        return self.filter(date__gte=first, date__lte=last)


class Appointment(models.Model):
    """A meeting, visit, accompaniment or call planned with the client.

    The place stays in Engage, encrypted like every other personal text: it can be a client's
    home. The personal calendar feed (`engage.agenda`) carries the case reference and the kind
    only (docs/agenda.md).
    """

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        HOME_VISIT = "home_visit", _("Home visit")
        ACCOMPANIMENT = "accompaniment", _("Accompaniment to an authority or court")
        CALL = "call", _("Call")

    class Status(models.TextChoices):
        # An appointment's, not an action's (French "Effectué", "Annulé" of "un rendez-vous").
        PLANNED = "planned", pgettext_lazy("appointment status", "Planned")
        DONE = "done", pgettext_lazy("appointment status", "Done")
        CANCELLED = "cancelled", pgettext_lazy("appointment status", "Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("case")
    )
    date = models.DateField(_("date"))
    time = models.TimeField(_("time"), null=True, blank=True)
    place = EncryptedCharField(
        _("place"),
        max_length=200,
        blank=True,
        help_text=_("Stays in Engage: the calendar feed never carries it."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = organisation_scoped("case__organisation", AppointmentQuerySet)

    class Meta:
        # Appointments without a time (some time that day) come first on their day.
        ordering = ["date", models.F("time").asc(nulls_first=True), "created_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    @property
    def is_planned(self) -> bool:
        return self.status == self.Status.PLANNED
