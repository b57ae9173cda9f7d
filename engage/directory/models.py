"""The service directory of an organisation, and the referrals of its clients to those services.

A `Service` is a provider the case managers refer clients to (a shelter, a clinic, a legal aid
office…). Its public details are not personal data; its named `ContactPerson`s (the "referral
points" the pilots build up) are, so they never leave the organisation, not even when the
service is shared with the network. Each service is a sharing `Recipient` too, kept in step by
`directory.services`, so that what a referral discloses is checked against the client's consent
for that very service.

A `Referral` is a case's referral to one service, through a small lifecycle
(`made → accepted | declined`, `accepted → completed | no-show`), written by
`directory.services` only.
"""

import datetime
import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engage.accounts.models import Organisation, Role, User
from engage.cases.models import Case
from engage.lib.crypto import normalise
from engage.lib.fields import EncryptedTextField
from engage.lib.scoping import ScopedQuerySet, organisation_scoped
from engage.lib.translations import in_language, translations_field
from engage.sharing.models import NEVER_SHARED_WITH, Recipient, RecipientType, Share

# A referral made or accepted with no news for this many days needs a follow-up call. The same
# for every pilot: a referral is the service's to answer, not the pilot's rhythm of contact.
FOLLOW_UP_DAYS = 14


class ServiceType(models.TextChoices):
    ACCOMMODATION = "accommodation", _("Accommodation")
    HEALTHCARE = "healthcare", _("Healthcare")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    EDUCATION = "education", _("Education")
    FINANCIAL = "financial", _("Financial aid")
    LEGAL_AID = "legal_aid", _("Legal aid")
    INTERPRETING = "interpreting", _("Interpreters")
    OTHER = "other", _("Other")


# The kind of sharing recipient each kind of service is. Never immigration enforcement: a
# service of the directory is one the client is referred to for support.
RECIPIENT_TYPE = {
    ServiceType.ACCOMMODATION: RecipientType.HOUSING,
    ServiceType.HEALTHCARE: RecipientType.HEALTH,
    ServiceType.PSYCHOSOCIAL: RecipientType.HEALTH,
    ServiceType.EDUCATION: RecipientType.SOCIAL,
    ServiceType.FINANCIAL: RecipientType.SOCIAL,
    ServiceType.LEGAL_AID: RecipientType.LEGAL_AID,
    ServiceType.INTERPRETING: RecipientType.OTHER,
    ServiceType.OTHER: RecipientType.OTHER,
}


class ServiceQuerySet(models.QuerySet["Service"]):
    def visible_to(self, user: User) -> "ServiceQuerySet":
        """The user's organisation's services, and those other organisations share.

        The network coordinator, of no organisation, sees the shared ones only.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        # A service found to be immigration enforcement is no longer shown to anyone else.
        shared = Q(shared=True, active=True) & ~Q(recipient__type__in=NEVER_SHARED_WITH)
        if user.organisation_id is None:
            return self.filter(shared) if user.role == Role.NETWORK_COORDINATOR else self.none()
        return self.filter(Q(organisation_id=user.organisation_id) | shared)

    def referable(self) -> "ServiceQuerySet":
        """The services a client may be referred to: in use, and not found to be enforcement."""
        return self.filter(active=True).exclude(recipient__type__in=NEVER_SHARED_WITH)

    def managed_by(self, user: User) -> "ServiceQuerySet":
        """The services `user` may change: their organisation's, for its admins and supervisors."""
        if user.role not in MANAGERS or user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


# Who keeps the directory; case managers read it (and ask a supervisor for a change).
MANAGERS = (Role.SUPERVISOR, Role.ORG_ADMIN)

# Said of a service whose recipient an admin, or a second person, found to be immigration
# enforcement: a provider the client is sent to for support cannot be one.
FOUND_ENFORCEMENT = _(
    "This service was found to be immigration enforcement: no client is referred to it, and "
    "the network does not see it."
)


class Service(models.Model):
    """A provider that clients are referred to. Its public details only: no client in it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="services"
    )
    recipient = models.OneToOneField(
        Recipient, on_delete=models.PROTECT, related_name="service", editable=False
    )
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type of service"), max_length=16, choices=ServiceType.choices)
    city = models.CharField(_("city"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(
        _("phone"), max_length=40, blank=True, help_text=_("The service's public number.")
    )
    email = models.EmailField(_("email"), blank=True, help_text=_("The service's public address."))
    website = models.URLField(_("website"), blank=True)
    languages = models.CharField(
        _("languages"),
        max_length=200,
        blank=True,
        help_text=_("Languages the service works in, separated by commas."),
    )
    eligibility = models.TextField(
        _("who is eligible"),
        blank=True,
        help_text=_("Who the service takes, what to bring, how long it takes. No client here."),
    )
    # "Who is eligible" in other languages, {language code: text} (engage/lib/translations.py).
    translations = translations_field()
    serves_without_status = models.BooleanField(
        _("Serves people without a legal status"), default=False
    )
    shared = models.BooleanField(
        _("Shared with the network"),
        default=False,
        help_text=_(
            "Other organisations of the network see the service's public details, read-only. "
            "Contact persons are never shared."
        ),
    )
    active = models.BooleanField(_("in use"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # What the directory's search and its city and language filters compare with, folded by
    # `normalise` (case and accents never matter, in any script: "malmo" finds "Malmö",
    # "θεσσαλονικη" finds "Θεσσαλονίκη"), which neither SQLite's LIKE nor PostgreSQL's UPPER
    # does. Written with the service (`fold_search`); TextFields, as folding may lengthen.
    search_text = models.TextField(editable=False, default="", db_default="")
    search_city = models.TextField(editable=False, default="", db_default="")
    search_languages = models.TextField(editable=False, default="", db_default="")

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unique_service_name_per_org"
            )
        ]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:service", args=[self.pk])

    @property
    def shown_eligibility(self) -> str:
        """Who is eligible, in the reader's language when the service wrote it, else as written."""
        return in_language(self.eligibility, self.translations)

    def language_list(self) -> list[str]:
        return [part.strip() for part in self.languages.split(",") if part.strip()]

    def fold_search(self) -> list[str]:
        """Set the folded copies the directory's search reads; return their field names."""
        folded = folded_search(self)
        for field, value in folded.items():
            setattr(self, field, value)
        return list(folded)


def folded_search(service: Any) -> dict[str, str]:
    """The folded copies of a service (or of its row in a migration), by field name."""
    # Who is eligible in every language it was written in: a reader searches in theirs.
    texts = [
        service.name,
        service.address,
        service.eligibility,
        *(service.translations or {}).values(),
    ]
    return {
        # One line per text, so that no match runs from the end of one into the next.
        "search_text": "\n".join(normalise(text) for text in texts if text),
        "search_city": normalise(service.city),
        "search_languages": normalise(service.languages),
    }


class ContactPerson(models.Model):
    """A named person at a service (a "referral point"): a business contact, kept in-house.

    Their name and work details are personal data of that person, so they stay with the
    organisation that met them (an organisation-scoped manager, like case data), and are never
    shown to the network even when the service is shared. Not encrypted: they are work contacts
    the provider gives out for referrals, shown on every page of the service to the staff.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role at the service"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = organisation_scoped("service__organisation")

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")

    def __str__(self) -> str:
        return self.name


class ReferralQuerySet(ScopedQuerySet):
    def open(self) -> "ReferralQuerySet":
        return self.filter(status__in=Referral.WAITING)


class Referral(models.Model):
    """A client's referral to a service of the directory, and what came of it."""

    class Status(models.TextChoices):
        MADE = "made", _("Made, waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined by the service")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("Client did not attend")

    # Statuses that still wait for news from the service.
    WAITING = (Status.MADE, Status.ACCEPTED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("case")
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="referrals"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.MADE
    )
    made_on = models.DateField(_("referred on"))
    reason = EncryptedTextField(
        _("what the referral is for"),
        blank=True,
        help_text=_("Keep it short: the need, not the story."),
    )
    # What the referral disclosed, and the share that carried it (None: nothing identifying
    # was disclosed, the client goes to the service themselves).
    categories = models.JSONField(_("data disclosed"), default=list)
    share = models.ForeignKey(
        Share,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("share"),
    )
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    ended_on = models.DateField(_("completed or missed on"), null=True, blank=True)
    outcome_note = EncryptedTextField(_("outcome"), blank=True)
    made_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("made by")
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = organisation_scoped("case__organisation", ReferralQuerySet)

    class Meta:
        ordering = ["-made_on", "-updated_at"]
        verbose_name = pgettext_lazy("referral to a service", "referral")
        verbose_name_plural = pgettext_lazy("referral to a service", "referrals")

    def __str__(self) -> str:
        return f"{self.service} {self.status}"

    def get_absolute_url(self) -> str:
        return reverse("directory:referral", args=[self.pk])

    @property
    def disclosed(self) -> bool:
        return bool(self.categories)

    @property
    def last_news_on(self) -> datetime.date:
        return self.ended_on or self.answered_on or self.made_on

    def follow_up_overdue_days(self, today: datetime.date | None = None) -> int:
        """Days past the follow-up (0 when none is due)."""
        if self.status not in self.WAITING:
            return 0
        today = today or timezone.localdate()
        return max((today - self.last_news_on).days - FOLLOW_UP_DAYS, 0)

    def get_categories_display(self) -> list[str]:
        from engage.sharing.models import Category

        labels = dict(Category.choices)
        return [str(labels.get(code, code)) for code in self.categories]
