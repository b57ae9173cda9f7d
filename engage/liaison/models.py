"""Liaison with the authorities on a client's behalf ("advocacy through doing").

A `LiaisonRecord` is one meeting, call, letter, report or request made to an authority about a
case: when, with whom (a sharing `Recipient` of an authority type), what was disclosed and what
came of it. What it discloses of the client went through `sharing.services.request_share`,
which checked the client's consent for that authority, the purpose "advocacy or
representation" and every category of data; the record keeps the `Share` that carried it.

A `LetterTemplate` is an organisation's model letter or report with a few placeholders
(`liaison.letters`); a `Letter` is a draft made from it for one case and stored as a PDF case
document. Saving a letter discloses nothing: sending it is a liaison record.

A `ReportingObligation` is where and how often the client must report to the authorities; a
`ReportingEvent` is one reporting day and what happened. The obligation keeps `next_due_on`,
the first expected reporting date after the last recorded event, recomputed by
`liaison.services` whenever an event or the obligation changes: the missed reporting rule of
the caseload is then one comparison with today (`liaison.due`).
"""

import datetime
import uuid
from collections.abc import Iterable

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation, User
from engage.cases.models import Case
from engage.documents.models import Document
from engage.lib.fields import EncryptedCharField, EncryptedTextField
from engage.lib.scoping import organisation_scoped
from engage.lib.translations import in_language, translations_field
from engage.sharing.models import Category, Recipient, RecipientType, Share

# The kinds of recipient a case manager liaises with about a case. Enforcement is among them
# (a release request to a detention centre, a reporting problem at a police station), but the
# sharing service never releases identifiable data to it: such a record discloses nothing.
AUTHORITY_TYPES = (RecipientType.AUTHORITY, RecipientType.COURT, RecipientType.ENFORCEMENT)


def _category_labels(codes: Iterable[str]) -> list[str]:
    labels = dict(Category.choices)
    return [str(labels.get(code, code)) for code in codes]


class LiaisonRecord(models.Model):
    """One exchange with an authority about a client's case, and its outcome."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Phone call")
        LETTER = "letter", _("Letter")
        REPORT = "report", _("Report on the case")
        REPORTING_PROBLEM = "reporting", _("Problem with reporting obligations")
        RELEASE_REQUEST = "release", _("Release request")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        FAVOURABLE = "favourable", _("Favourable")
        PARTLY = "partly", _("Partly favourable")
        UNFAVOURABLE = "unfavourable", _("Unfavourable")
        NO_ANSWER = "no_answer", _("No answer")
        INFORMATION = "information", _("For information, no answer expected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="liaison_records", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("date"))
    authority = models.ForeignKey(
        Recipient, verbose_name=_("authority"), on_delete=models.PROTECT, related_name="+"
    )
    officer = EncryptedCharField(
        _("officer"),
        max_length=200,
        blank=True,
        help_text=_("The front-line officer or department you dealt with, if it helps."),
    )
    summary = EncryptedTextField(
        _("what was asked or said"),
        blank=True,
        help_text=_("Keep it short: the request and the arguments, not the client's story."),
    )
    # What was disclosed of the client, and the share that carried it (None: nothing
    # identifying, e.g. a general question about reporting at that station).
    categories = models.JSONField(_("data disclosed"), default=list)
    share = models.ForeignKey(
        Share,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="liaison_records",
        verbose_name=_("share"),
    )
    # The letter sent is kept (`services.SENT_LETTERS`, registered with documents.keeping).
    # RESTRICT: the database too refuses to delete it, or its document, while a record names
    # it, unless the record goes in the same delete (its case's). Erasure lets go of it first.
    letter = models.ForeignKey(
        "Letter",
        verbose_name=_("letter sent"),
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="sendings",
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    outcome_note = EncryptedTextField(_("outcome note"), blank=True)
    follow_up_on = models.DateField(
        _("follow up on"),
        null=True,
        blank=True,
        help_text=_("When to chase the answer, if one is expected."),
    )
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["-date", "-updated_at"]
        verbose_name = _("liaison record")
        verbose_name_plural = _("liaison records")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"

    def get_absolute_url(self) -> str:
        return reverse("liaison:record", args=[self.pk])

    @property
    def disclosed(self) -> bool:
        return bool(self.categories)

    def get_categories_display(self) -> list[str]:
        return _category_labels(self.categories)

    def follow_up_overdue_days(self, today: datetime.date) -> int:
        """Days past the follow-up date while the answer is awaited (0 when none is due)."""
        if self.outcome != self.Outcome.PENDING or self.follow_up_on is None:
            return 0
        return max((today - self.follow_up_on).days, 0) if self.follow_up_on < today else 0


class LetterTemplateQuerySet(models.QuerySet["LetterTemplate"]):
    def of(self, organisation_id: uuid.UUID) -> "LetterTemplateQuerySet":
        return self.filter(organisation_id=organisation_id)


class LetterTemplate(models.Model):
    """An organisation's model letter or report: text with a few placeholders, no client."""

    class Kind(models.TextChoices):
        LETTER = "letter", _("Letter")
        REPORT = "report", _("Report")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="letter_templates"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.LETTER)
    language = models.CharField(_("language"), max_length=8)
    body = models.TextField(_("text"))
    translations = translations_field()
    active = models.BooleanField(_("in use"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LetterTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unique_letter_template_name_per_org"
            )
        ]
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("liaison:template_edit", args=[self.pk])

    def body_in(self, language: str) -> str:
        """The text in `language`, or as written (in `self.language`)."""
        if language == self.language:
            return self.body
        return in_language(self.body, self.translations, language)

    def languages(self) -> list[str]:
        """The languages the template has a text in, its own first."""
        return [self.language, *(code for code in self.translations if code != self.language)]


class Letter(models.Model):
    """A letter or report drafted for a case, stored as an encrypted PDF case document."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="letters", verbose_name=_("case")
    )
    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, related_name="letter", verbose_name=_("document")
    )
    template = models.ForeignKey(
        LetterTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    language = models.CharField(_("language"), max_length=8)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")

    def __str__(self) -> str:
        return str(self.document)


class ReportingObligation(models.Model):
    """Where and how often the client must report to the authorities."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        FORTNIGHTLY = "fortnightly", _("Every two weeks")
        MONTHLY = "monthly", _("Monthly (same day of the month)")
        OTHER = "other", _("Every few days (give the interval)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="reporting_obligations", verbose_name=_("case")
    )
    authority = models.ForeignKey(
        Recipient,
        verbose_name=_("authority"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    place = EncryptedCharField(
        _("where"), max_length=200, help_text=_("For example: the police station in Rue Royale.")
    )
    frequency = models.CharField(_("how often"), max_length=12, choices=Frequency.choices)
    interval_days = models.PositiveSmallIntegerField(
        _("every how many days"),
        null=True,
        blank=True,
        help_text=_("Only for “every few days”."),
    )
    start_date = models.DateField(
        _("first reporting day"), help_text=_("The later reporting days follow from this one.")
    )
    end_date = models.DateField(
        _("last day of the obligation"), null=True, blank=True, help_text=_("Empty: no end set.")
    )
    note = EncryptedTextField(_("note"), blank=True)
    # The first expected reporting day after the last recorded event (None: no more expected).
    # Derived from the fields above and the events, written only by liaison.services.
    next_due_on = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("next due on")
    )
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("reporting obligation")
        verbose_name_plural = _("reporting obligations")

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} {self.start_date}"

    def get_absolute_url(self) -> str:
        return reverse("liaison:obligation", args=[self.pk])

    def in_force(self, on: datetime.date) -> bool:
        return self.start_date <= on and (self.end_date is None or on <= self.end_date)

    def missed_days(self, today: datetime.date) -> int:
        """Days since the first expected reporting day with no record (0 when none)."""
        if self.next_due_on is None or self.next_due_on >= today:
            return 0
        return (today - self.next_due_on).days


class ReportingEvent(models.Model):
    """One reporting day of an obligation: the client reported, missed it, or was excused."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        MISSED = "missed", _("Missed")
        EXCUSED = "excused", _("Excused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    obligation = models.ForeignKey(
        ReportingObligation,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("obligation"),
    )
    # The obligation's case, kept on the row so that the change history, the scope and the
    # erasure find whom it is about like every other record of a case.
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="reporting_events",
        editable=False,
        verbose_name=_("case"),
    )
    date = models.DateField(_("reporting day"))
    status = models.CharField(_("what happened"), max_length=10, choices=Status.choices)
    note = EncryptedTextField(_("note"), blank=True)
    # A missed reporting day stays flagged until the case manager followed it up (called the
    # client, liaised with the station…) and said so.
    followed_up_on = models.DateField(_("followed up on"), null=True, blank=True)
    follow_up_note = EncryptedTextField(_("what was done"), blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["-date", "-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["obligation", "date"], name="one_reporting_event_per_day"
            )
        ]
        verbose_name = _("reporting day")
        verbose_name_plural = _("reporting days")

    def __str__(self) -> str:
        return f"{self.date} {self.status}"

    @property
    def needs_follow_up(self) -> bool:
        return self.status == self.Status.MISSED and self.followed_up_on is None
