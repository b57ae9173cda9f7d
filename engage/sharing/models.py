"""Consent to share, the shares themselves, and the register of external data requests.

Personal data leaves Engage only as a `Share`, made by `sharing.services` after it checked a
`Consent` that covers the recipient, the purpose and the categories of data. Immigration
enforcement is a kind of recipient to which nothing identifiable is ever released.
"""

import datetime
import uuid
from collections.abc import Iterable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engage.accounts.models import Organisation, Role, User
from engage.cases.models import Case, Person
from engage.lib.fields import (
    EncryptedCharField,
    EncryptedFromClearCharField,
    EncryptedTextField,
)
from engage.lib.scoping import organisation_scoped


class RecipientType(models.TextChoices):
    LEGAL_AID = "legal_aid", _("Legal aid or lawyer")
    HEALTH = "health", _("Health service")
    HOUSING = "housing", _("Housing or shelter")
    SOCIAL = "social", _("Social services")
    NGO = "ngo", _("Other NGO")
    AUTHORITY = "authority", _("Authority deciding the case (asylum or migration office)")
    COURT = "court", _("Court or tribunal")
    ENFORCEMENT = "enforcement", _("Immigration enforcement (police, detention, removal)")
    OTHER = "other", _("Other")


# Nothing identifiable is ever released to these, whatever the consent, with no override.
NEVER_SHARED_WITH = frozenset({RecipientType.ENFORCEMENT})


class Purpose(models.TextChoices):
    REFERRAL = "referral", _("Referral to a service")
    REPRESENTATION = "representation", _("Advocacy or representation with an authority")
    CONTINUITY = "continuity", _("Continuity of support after a transfer")
    OTHER = "other", _("Other")


class Category(models.TextChoices):
    IDENTITY = "identity", _("Identity (name, date of birth, nationality, documents)")
    CONTACT = "contact", _("Contact details")
    MIGRATION = "migration", _("Migration case")
    HEALTH = "health", _("Health")
    VULNERABILITY = "vulnerability", _("Vulnerabilities")
    NOTES = "notes", _("Case notes")


class Recipient(models.Model):
    """Someone an organisation may share with: a service, an authority, a court…"""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="recipients"
    )
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=16, choices=RecipientType.choices)
    active = models.BooleanField(_("in use"), default=True)
    # Who last set the name or the kind: a warning of the screening must be confirmed by
    # someone else (see sharing.screening).
    set_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The kind before the last correction (blank: never corrected). Corrected away from
    # immigration enforcement, the recipient waits for a second person too.
    corrected_from = models.CharField(
        max_length=16, choices=RecipientType.choices, blank=True, default="", db_default=""
    )
    # A second person's confirmation that this name and kind are not an enforcement body. It
    # holds for that very name and kind only.
    confirmed_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    confirmed_type = models.CharField(max_length=16, blank=True, default="", db_default="")
    confirmed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Moves on with each change of its name or kind (lib.concurrency): a correction of the kind
    # names the one it was read at.
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unique_recipient_name_per_org"
            )
        ]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")

    def __str__(self) -> str:
        return self.name

    @property
    def never_shared_with(self) -> bool:
        return self.type in NEVER_SHARED_WITH

    @property
    def confirmed(self) -> bool:
        """A second person confirmed this very name and kind."""
        return (
            self.confirmed_by_id is not None
            and self.confirmed_name == self.name
            and self.confirmed_type == self.type
        )

    def is_referenced(self) -> bool:
        """Whether a consent or a share names this recipient: its identity is then fixed."""
        return (
            Consent.objects.filter(recipient=self).exists()
            or Share.objects.filter(recipient=self).exists()
        )


class EnforcementBody(models.Model):
    """A name or words of an enforcement body, screened for in the names of recipients.

    The organisation's own entries (in its languages, its local offices) come on top of the
    built-in ones of `sharing.screening.BUILT_IN`, which cannot be removed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="enforcement_bodies"
    )
    name = models.CharField(
        _("name or words"),
        max_length=200,
        help_text=_(
            "For example: “aliens police” or the name of the local detention centre. A "
            "recipient whose name contains these words needs a second person's confirmation."
        ),
    )
    added_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unique_enforcement_body_per_org"
            )
        ]
        verbose_name = _("enforcement body")
        verbose_name_plural = _("enforcement bodies")

    def __str__(self) -> str:
        return self.name


class Consent(models.Model):
    """A person's consent to share some of their data with one recipient for one purpose."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="consents", verbose_name=_("case")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="consents", verbose_name=_("person")
    )
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+"
    )
    # The recipient as the person agreed to it: a consent covers that name and kind only.
    recipient_name = models.CharField(
        max_length=200, blank=True, default="", db_default="", verbose_name=_("recipient name")
    )
    recipient_type = models.CharField(
        max_length=16,
        choices=RecipientType.choices,
        blank=True,
        default="",
        db_default="",
        verbose_name=_("recipient type"),
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    categories = models.JSONField(_("data that may be shared"), default=list)
    given_on = models.DateField(_("consent given on"))
    # Encrypted as the person's own languages are: "Tigrinya, with her cousin translating" is
    # free text about the person, and erasure blanks the encrypted text of their cases
    # (docs/security.md; item 55 did the same for the case's interpreter language).
    language = EncryptedFromClearCharField(_("language of the explanation"), max_length=100)
    through_interpreter = models.BooleanField(_("Explained through an interpreter"), default=False)
    expires_on = models.DateField(_("valid until"))
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))
    withdrawn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("withdrawn at"))
    withdrawn_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawal_note = EncryptedTextField(_("note on the withdrawal"), blank=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["-given_on", "-recorded_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.recipient_name} {self.purpose}"

    def is_valid(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.withdrawn_at is None and self.given_on <= on <= self.expires_on

    def names(self, recipient: Recipient) -> bool:
        """Whether the recipient is still the one the person agreed to (same name and kind)."""
        return (
            self.recipient_id == recipient.pk
            and self.recipient_name == recipient.name
            and self.recipient_type == recipient.type
        )

    def covers(
        self,
        recipient: Recipient,
        purpose: str,
        categories: Iterable[str],
        on: datetime.date | None = None,
    ) -> bool:
        return (
            self.is_valid(on)
            and self.names(recipient)
            and self.purpose == purpose
            and set(categories) <= set(self.categories)
        )

    def get_recipient_type_display_as_consented(self) -> str:
        return str(dict(RecipientType.choices).get(self.recipient_type, self.recipient_type))

    def get_categories_display(self) -> list[str]:
        labels = dict(Category.choices)
        return [str(labels.get(code, code)) for code in self.categories]


# Why a share was cancelled (`Share.cancel_reason`), as the case manager reads it.
CANCEL_REASONS = {
    "consent_withdrawn": _("the person withdrew their consent"),
    "consent_expired": _("the consent is no longer in force"),
    "consent_lapsed": _("the consent is no longer in force"),
    "consent_no_longer_covers": _("the consent no longer covers it"),
    "recipient_changed": _("the recipient's name or kind changed"),
    "recipient_renamed": _("the service was renamed"),
    "enforcement": _("the recipient is immigration enforcement"),
    "not_their_data": _("it held the client's data under a household member's consent"),
    "person_erased": _("the person's data was erased"),
    "override_withdrawn": _("whoever overrode the consent may no longer do so"),
}


class Share(models.Model):
    """One release of a person's data to a recipient: queued, produced, then handed over.

    Consent is checked again at every hand-over (`sharing.services.hand_over`); a withdrawal
    or an expiry voids what has not left yet. What did leave keeps its date, recipient and
    categories, so the case manager can ask the recipient to delete it after a withdrawal.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Being prepared")
        READY = "ready", _("Ready to hand over")
        SENT = "sent", _("Handed over")
        CANCELLED = "cancelled", pgettext_lazy("share status", "Cancelled")

    # Not handed over yet: what a withdrawal or an expiry voids.
    UNSENT = (Status.QUEUED, Status.READY)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="shares", verbose_name=_("case")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="shares", verbose_name=_("person")
    )
    recipient = models.ForeignKey(
        Recipient, on_delete=models.PROTECT, related_name="+", verbose_name=_("recipient")
    )
    # The recipient as it was when the share was requested.
    recipient_name = models.CharField(
        max_length=200, blank=True, default="", db_default="", verbose_name=_("recipient name")
    )
    recipient_type = models.CharField(
        max_length=16,
        choices=RecipientType.choices,
        blank=True,
        default="",
        db_default="",
        verbose_name=_("recipient type"),
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    categories = models.JSONField(_("data to share"), default=list)
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shares",
        verbose_name=_("consent"),
    )
    override_reason = EncryptedTextField(_("why consent is overridden"), blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, verbose_name=_("status")
    )
    cancel_reason = models.CharField(max_length=40, blank=True, verbose_name=_("cancel reason"))
    content = EncryptedTextField(blank=True, verbose_name=_("content"))
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("requested at"))
    produced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("produced at"))
    # The first hand-over (download): from then on the data is out of Engage.
    handed_over_at = models.DateTimeField(null=True, blank=True, verbose_name=_("handed over at"))
    handed_over_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    # After a withdrawal: when the case manager asked the recipient to delete what they got.
    deletion_asked_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("deletion asked at")
    )
    deletion_asked_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deletion asked by"),
    )

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("share")
        verbose_name_plural = _("shares")

    def __str__(self) -> str:
        return f"{self.recipient_name} {self.status}"

    @property
    def overridden(self) -> bool:
        return bool(self.override_reason)

    @property
    def left(self) -> bool:
        """Whether the data was handed over, so it is out of Engage."""
        return self.handed_over_at is not None

    @property
    def withdrawn_after_it_left(self) -> bool:
        return self.left and self.consent is not None and self.consent.withdrawn_at is not None

    def get_categories_display(self) -> list[str]:
        labels = dict(Category.choices)
        return [str(labels.get(code, code)) for code in self.categories]

    @property
    def cancel_reason_display(self) -> str:
        return str(CANCEL_REASONS.get(self.cancel_reason, "")) if self.cancel_reason else ""

    def get_recipient_type_display_as_shared(self) -> str:
        return str(dict(RecipientType.choices).get(self.recipient_type, self.recipient_type))


class DataRequest(models.Model):
    """A request for data from an authority or a third party, and what was decided (R14)."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not decided yet")
        REFUSED = "refused", _("Refused")
        PARTIAL = "partial", _("Partly disclosed")
        DISCLOSED = "disclosed", _("Disclosed")

    # The register is the organisation's record of who asked, on what basis, and what it
    # decided, not the client's: erasing the person cuts the link to their case and keeps the
    # request (privacy.services, docs/security.md issue 10 item 11).
    KEPT_ON_ERASURE = True
    # Who reads it (`sharing.views.REGISTER_READERS`), in the change history too.
    READ_BY = (Role.SUPERVISOR, Role.ORG_ADMIN)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="data_requests",
        verbose_name=_("organisation"),
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("case concerned"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="data_requests",
    )
    received_on = models.DateField(_("received on"))
    requester = EncryptedCharField(_("who asks"), max_length=200)
    requester_type = models.CharField(
        _("type of requester"), max_length=16, choices=RecipientType.choices
    )
    legal_basis = EncryptedTextField(_("legal basis they claim"))
    data_requested = EncryptedTextField(_("data asked for"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decision_note = EncryptedTextField(_("reasons for the decision"), blank=True)
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    subject_informed = models.BooleanField(_("The person was informed"), default=False)
    subject_informed_on = models.DateField(_("informed on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = organisation_scoped("organisation")

    class Meta:
        ordering = ["-received_on", "-recorded_at"]
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")

    def __str__(self) -> str:
        return f"{self.received_on} {self.requester_type} {self.decision}"
