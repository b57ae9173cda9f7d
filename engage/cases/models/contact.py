import uuid
from typing import Any

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User
from engage.cases.models.case import Case, EngagementLevel
from engage.lib.fields import EncryptedTextField
from engage.lib.scoping import organisation_scoped


class Contact(models.Model):
    """A meeting, call or message with the client, logged in seconds afterwards."""

    class Type(models.TextChoices):
        FACE_TO_FACE = "face_to_face", _("Face-to-face")
        PHONE = "phone", _("Phone call")
        MESSAGE = "message", _("Message")
        HOME_VISIT = "home_visit", _("Home visit")
        ACCOMPANIMENT = "accompaniment", _("Accompaniment")

    # Types in which case manager and client are in the same room, for the network's
    # face-to-face share of contacts.
    IN_PERSON = (Type.FACE_TO_FACE, Type.HOME_VISIT, Type.ACCOMPANIMENT)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("case")
    )
    date = models.DateField(_("date"))
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    note = EncryptedTextField(
        _("note"),
        blank=True,
        max_length=2000,
        help_text=_("Keep it short. Never record what the client asked you not to."),
    )
    content_not_recorded = models.BooleanField(
        _("The meeting happened; what was said is not recorded"), default=False
    )
    sensitive = models.BooleanField(_("Sensitive"), default=False)
    engagement_level = models.CharField(
        _("engagement seen"), max_length=16, choices=EngagementLevel.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("case__organisation")

    # The organisation admin's own export keeps the contact but not a sensitive note, which the
    # admin does not read on the case page either (engage.sharing.own_export).
    OWN_EXPORT_BLANK = ({"sensitive": True}, ("note",))

    class Meta:
        ordering = ["-date", "-created_at"]
        # A case's latest contact (what is due) and its page of contacts, read by index; with
        # the type, the network dataset counts a case's contacts, and those in person, from
        # the index alone (mel.dataset.rows).
        indexes = [models.Index(fields=["case", "-date", "type"], name="contact_case_date_type")]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.date} {self.type}"

    @property
    def in_person(self) -> bool:
        return self.type in self.IN_PERSON

    def note_hidden_from(self, user: User, *, case_shows_sensitive: bool) -> bool:
        """Whether `user`, who works on the case, may not read this contact's note: a note
        marked sensitive is the case's own people's (`Case.shows_sensitive_to`, given here as
        `case_shows_sensitive`, worked out once for a page of contacts) and its author's."""
        return self.sensitive and not case_shows_sensitive and self.recorded_by_id != user.pk

    @classmethod
    def history_values_hidden(cls, user: User, case: Case, changes: list[Any]) -> set[Any]:
        """The ids of the history's `changes` of sensitive contacts whose values `user` may not
        read on `case` (engage.history.services): all their fields, the note's length and its
        changes with them, unless `user` reads the note on the case page."""
        if case.shows_sensitive_to(user):
            return set()
        # A change that does not touch `sensitive` (a note's key rotated, say) does not carry
        # it: the contact as it is says, and a deleted one's last values.
        sensitive = set(
            cls.objects.filter(
                case=case, sensitive=True, pk__in={change.object_id for change in changes}
            ).values_list("pk", flat=True)
        )
        return {
            change.pk
            for change in changes
            if change.actor_id != user.pk
            and (
                change.object_id in sensitive
                or any((values or {}).get("sensitive") for values in (change.before, change.after))
            )
        }
