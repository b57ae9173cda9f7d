"""An organisation's own fields on the forms of the process, and their values.

The definition (`CustomField`, `ChoiceOption`) is the organisation's configuration: it may be
exported to a sister pilot (`engage.custom.config`). The values (`CustomValue`) are personal
data, encrypted at rest like contact notes and never part of the network dataset.
"""

import json
import uuid
from typing import Any

from django.db import models
from django.db.models.functions import Cast, Replace
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation, User
from engage.cases.models import Case, Contact
from engage.lib.fields import EncryptedTextField
from engage.lib.scoping import organisation_scoped
from engage.lib.translations import in_language, translations_field


class Form(models.TextChoices):
    """The forms of the process that take an organisation's own fields."""

    REFERRAL = "referral", _("Referral")
    FIRST_MEETING = "first_meeting", _("First meeting")
    SCREENING = "screening", _("Screening")
    ASSESSMENT = "assessment", _("Assessment")
    CONTACT = "contact", _("Contact")
    GOAL = "goal", _("Case plan goal")
    CLOSURE = "closure", _("Closure")


class FieldType(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    YES_NO = "yes_no", _("Yes or no")
    CHOICE = "choice", _("One choice")
    CHOICES = "choices", _("Several choices")
    SERVICE = "service", _("A service of the directory")


CHOICE_TYPES = (FieldType.CHOICE, FieldType.CHOICES)


class CustomField(models.Model):
    """A question of the organisation's own on one form of the process."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="custom_fields"
    )
    form = models.CharField(_("form"), max_length=16, choices=Form.choices)
    key = models.SlugField(
        _("key"),
        max_length=40,
        help_text=_("A short name that never changes, used in the API and in files."),
    )
    type = models.CharField(_("type"), max_length=16, choices=FieldType.choices)
    label = models.CharField(_("label"), max_length=200)
    label_translations = translations_field()
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    help_text_translations = translations_field()
    required = models.BooleanField(_("required"), default=False)
    # Its place among the form's own fields: after the built-in field named here ("" for the
    # end of the form), then by position among the custom fields in the same place.
    after = models.CharField(_("place on the form"), max_length=40, blank=True, default="")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    min_value = models.DecimalField(
        _("smallest number"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("largest number"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    condition_field = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dependants",
        verbose_name=_("shown only when"),
    )
    condition_value = models.CharField(_("has the value"), max_length=100, blank=True)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Shown only to the case's own case manager and their supervisor."),
    )
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = organisation_scoped("organisation")

    class Meta:
        ordering = ["form", "position", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "form", "key"], name="custom_field_key_unique"
            )
        ]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label

    @property
    def shown_label(self) -> str:
        """The label in the active language, or as written."""
        return in_language(self.label, self.label_translations)

    @property
    def shown_help_text(self) -> str:
        return in_language(self.help_text, self.help_text_translations)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def has_choices(self) -> bool:
        return self.type in CHOICE_TYPES

    @property
    def form_name(self) -> str:
        """The name of its field on the process form."""
        return f"custom_{self.key}"


class ChoiceOption(models.Model):
    """One answer of a choice field, in the order the admin keeps; retired ones stay for old
    values but are no longer offered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="options")
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=200)
    label_translations = translations_field()
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    retired = models.BooleanField(_("retired"), default=False)
    # Moves on with each rename (lib.concurrency): a rename names the label it was read at.
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = organisation_scoped("field__organisation")

    class Meta:
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["field", "key"], name="custom_option_key_unique")
        ]
        verbose_name = _("choice option")
        verbose_name_plural = _("choice options")

    def __str__(self) -> str:
        return self.label

    @property
    def shown_label(self) -> str:
        return in_language(self.label, self.label_translations)


class CustomValue(models.Model):
    """The answer to a custom field on one record of a case.

    `record_id` is the id of the record the form saved (first meeting, screening, assessment,
    contact, goal, closure); for the referral it is the case's own id. The value is JSON (a
    text, a number as a string, a date in ISO form, true/false, an option's key or a list of
    them, a service's id), encrypted at rest with the keys of the notes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="custom_values", verbose_name=_("case")
    )
    field = models.ForeignKey(
        CustomField, on_delete=models.PROTECT, related_name="values", verbose_name=_("field")
    )
    record_id = models.CharField(max_length=36, verbose_name=_("record"))
    value = EncryptedTextField(_("value"), blank=True)
    # The label in the organisation's language when the value was given: old records show the
    # question as it was asked.
    label_at_entry = models.CharField(max_length=200, blank=True, verbose_name=_("label at entry"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("updated by")
    )

    objects = organisation_scoped("case__organisation")

    # Erasure deletes the rows, not only the values (engage.privacy.services): even which
    # questions a person answered goes.
    DELETED_ON_ERASURE = True

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["field", "record_id"], name="custom_value_unique")
        ]
        indexes = [models.Index(fields=["case", "record_id"])]
        verbose_name = _("custom field answer")
        verbose_name_plural = _("custom field answers")

    def __str__(self) -> str:
        return f"{self.field_id} {self.record_id}"

    @classmethod
    def own_export_excluded(cls) -> models.Q:
        """What the organisation admin's own export leaves out (engage.sharing.own_export):
        sensitive answers, and the answers given on a contact marked sensitive, which only the
        case's own case manager and supervisor read."""
        return models.Q(field__sensitive=True) | on_sensitive_contacts()

    @property
    def data(self) -> Any:
        """The value as stored: JSON decoded (None when empty)."""
        return json.loads(self.value) if self.value else None

    @classmethod
    def history_values_hidden(cls, user: User, case: Case, changes: list[Any]) -> set[Any]:
        """The ids of the history's `changes` of answers whose values `user` may not read on
        `case`: those of sensitive fields, and those given on a sensitive contact someone else
        recorded, unless they see them (engage.history.services)."""
        from engage.custom.services import sees_sensitive

        if sees_sensitive(user, case):
            return set()
        # The answers given on a sensitive contact someone else recorded, as its note is hidden
        # (`Contact.history_values_hidden`); a deleted one's by the record its values name.
        contacts = {
            str(pk)
            for pk in Contact.objects.filter(case=case, sensitive=True)
            .exclude(recorded_by=user)
            .values_list("pk", flat=True)
        }
        sensitive = set(
            CustomField.objects.filter(
                organisation_id=case.organisation_id, sensitive=True
            ).values_list("pk", flat=True)
        )
        # A change records only the columns it changed: an answer changed later carries its
        # value but not its field, so the answer as it is says (a deleted one, its last values).
        answers = set(
            cls.objects.filter(case=case, pk__in={change.object_id for change in changes})
            .filter(models.Q(field_id__in=sensitive) | models.Q(record_id__in=contacts))
            .values_list("pk", flat=True)
        )
        hidden = set()
        for change in changes:
            if change.object_id in answers:
                hidden.add(change.pk)
            for values in (change.before or {}, change.after or {}):
                field_id = values.get("field_id")
                if field_id and uuid.UUID(str(field_id)) in sensitive:
                    hidden.add(change.pk)
                if values.get("record_id") in contacts:
                    hidden.add(change.pk)
        return hidden


def on_sensitive_contacts(*, recorded_by_other_than: User | None = None) -> models.Q:
    """The answers given on a contact marked sensitive (with `recorded_by_other_than`, one that
    person did not record): what a contact's own fields say is kept as its note is
    (`Contact.note_hidden_from`), since it tells what the contact was about.

    `record_id` holds the contact's id as text with its dashes; both are compared as text
    without them, which SQLite (32 hex digits) and PostgreSQL (uuid) write alike, among the
    contacts of the answer's own case. Not as a uuid: a `record_id` that is not one would stop
    PostgreSQL's query. The base manager: the answer's own query is the scoped one, and this
    names only the contacts of the answer's case."""

    def bare(value: Any) -> Replace:
        text: models.TextField[str, str] = models.TextField()
        return Replace(value, models.Value("-"), models.Value(""), output_field=text)

    contacts = Contact._base_manager.annotate(id_text=bare(Cast("pk", models.TextField()))).filter(
        case_id=models.OuterRef("case_id"),
        sensitive=True,
        id_text=bare(models.OuterRef("record_id")),
    )
    if recorded_by_other_than is not None:
        contacts = contacts.exclude(recorded_by=recorded_by_other_than)
    return models.Q(field__form=Form.CONTACT) & models.Q(models.Exists(contacts))
