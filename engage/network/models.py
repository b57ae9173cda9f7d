"""Advocacy and network building: the stakeholder map, network activities and cost figures.

No client is in any of these records. Two things are still personal data, of professionals:
the names of the people met in a stakeholder's interactions (`Interaction.people`) and the note
of an interaction. They stay with the owner of the stakeholder (an organisation, or the network
coordinators for the network's own stakeholders): `Stakeholder.objects.visible_to` shows other
members a shared stakeholder's public details, never its interactions.

Each record is owned by an organisation or, with `organisation = None`, by the network (its
coordinators). That is why these models have no django-scopes manager: a network-owned row
belongs to no organisation, and the coordinator's requests run in an empty scope. Every query
starts from the user instead (`visible_to`, `managed_by`), as with the service directory.
"""

import uuid
from decimal import Decimal
from typing import Any, Self

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from engage.accounts.models import Organisation, Role, User

# Who keeps an organisation's map and activities; case managers read them.
MANAGERS = (Role.SUPERVISOR, Role.ORG_ADMIN)
NETWORK = Role.NETWORK_COORDINATOR


def owner_filter(user: User) -> Q:
    """The rows `user`'s side owns: their organisation's, or the network's for a coordinator."""
    if user.organisation_id is not None:
        return Q(organisation_id=user.organisation_id)
    if user.role == NETWORK:
        return Q(organisation__isnull=True)
    return Q(pk__in=[])


def may_manage(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.organisation_id is None:
        return user.role == NETWORK
    return user.role in MANAGERS


class ActorType(models.TextChoices):
    NATIONAL_AUTHORITY = "national_authority", _("National authority")
    LOCAL_AUTHORITY = "local_authority", _("Local authority or municipality")
    JUDICIARY = "judiciary", _("Judiciary")
    OMBUDSPERSON = "ombudsperson", _("Ombudsperson")
    UN_AGENCY = "un_agency", _("UN agency")
    CSO = "cso", _("Civil society organisation")
    MIGRANT_LED = "migrant_led", _("Migrant-led organisation")
    ACADEMIA = "academia", _("Academia")
    MEDIA = "media", _("Media")
    PRIVATE_SECTOR = "private_sector", _("Private sector")
    FUNDER = "funder", _("Funder")


class Level(models.TextChoices):
    LOCAL = "local", _("Local")
    NATIONAL = "national", _("National")
    EU = "eu", _("EU")
    INTERNATIONAL = "international", _("International")


class Stage(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    CONTACTED = "contacted", _("Contacted")
    ENGAGED = "engaged", _("Engaged")
    PARTNER = "partner", _("Partner")


# Stakeholders at these stages count as engaged (NET-02).
ENGAGED_STAGES = (Stage.ENGAGED, Stage.PARTNER)


class OwnedQuerySet(models.QuerySet[Any]):
    """Records owned by an organisation, or by the network when `organisation` is empty."""

    def owned_by_side_of(self, user: User) -> Self:
        """The records of `user`'s side, whatever their role."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(owner_filter(user))

    def managed_by(self, user: User) -> Self:
        """The records `user` may change."""
        if not may_manage(user):
            return self.none()
        return self.filter(owner_filter(user))


class StakeholderQuerySet(OwnedQuerySet):
    def visible_to(self, user: User) -> "StakeholderQuerySet":
        """The user's side's stakeholders, and those other owners share with the network."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.organisation_id is None and user.role != NETWORK:
            return self.none()
        return self.filter(owner_filter(user) | Q(shared=True))


class Stakeholder(models.Model):
    """An actor the network or a pilot advocates with or builds a relationship with."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="stakeholders",
        help_text="None: the network's own (its coordinators').",
    )
    name = models.CharField(
        _("name"),
        max_length=200,
        help_text=_("The institution or organisation, e.g. the Ministry of Interior."),
    )
    actor_type = models.CharField(_("type of actor"), max_length=20, choices=ActorType.choices)
    level = models.CharField(_("level"), max_length=14, choices=Level.choices)
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    stage = models.CharField(
        _("relationship stage"),
        max_length=10,
        choices=Stage.choices,
        default=Stage.IDENTIFIED,
        editable=False,
    )
    description = models.TextField(
        _("about"),
        blank=True,
        help_text=_("What they do and why they matter for the network. No client here."),
    )
    shared = models.BooleanField(
        _("Shared with the network"),
        default=False,
        help_text=_(
            "Other members and the network coordinator see the name, type, level, place and "
            "stage, read-only. The interactions, and the people named in them, are never shared."
        ),
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StakeholderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("network:stakeholder", args=[self.pk])

    @property
    def owner_label(self) -> str:
        return self.organisation.name if self.organisation is not None else str(_("The network"))


class StageChange(models.Model):
    """One step of a stakeholder's relationship stage: its history, written by the services."""

    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    previous = models.CharField(max_length=10, choices=Stage.choices, blank=True)
    date = models.DateField(_("since"))
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "created_at"]
        verbose_name = _("relationship stage change")
        verbose_name_plural = _("relationship stage changes")

    def __str__(self) -> str:
        return f"{self.stakeholder} {self.stage} {self.date}"


class Interaction(models.Model):
    """A meeting, call, letter or event with a stakeholder. Kept to the stakeholder's owner."""

    class Type(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Call")
        EMAIL = "email", _("Email or letter")
        EVENT = "event", _("Event")
        PRESENTATION = "presentation", _("Presentation")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="interactions"
    )
    date = models.DateField(_("date"))
    type = models.CharField(_("type"), max_length=12, choices=Type.choices)
    people = models.CharField(
        _("people met"),
        max_length=300,
        blank=True,
        help_text=_("The people met, by name and role. Professionals only, never a client."),
    )
    note = models.TextField(_("note"), blank=True, help_text=_("What was said or agreed."))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self) -> str:
        return f"{self.stakeholder} {self.date}"


class ActivityKind(models.TextChoices):
    PRESENTATION = "presentation", _("Presentation or invitation to speak")
    TRAINING = "training", _("Training")
    CONCEPT_NOTE = "concept_note", _("Concept note submitted")
    PILOT_STARTED = "pilot_started", _("Pilot started")
    PILOT_EXPLORED = "pilot_explored", _("Pilot explored")
    FUNDING = "funding", _("Project with sustainable funding secured")
    LIVED_EXPERIENCE_INITIATIVE = (
        "le_initiative",
        _("Initiative led by people with lived experience"),
    )
    LIVED_EXPERIENCE_CASE_WORK = (
        "le_case_work",
        _("People with lived experience involved in case management"),
    )


class Expansion(models.TextChoices):
    NEW_CITY = "new_city", _("A new city in a country of the network")
    NEW_COUNTRY = "new_country", _("A new country")


class ActivityQuerySet(OwnedQuerySet):
    def visible_to(self, user: User) -> "ActivityQuerySet":
        """Activities of the user's side: their organisation's, or the network's own for the
        coordinator. A member's activities reach the network as counts in the reports (NET-*),
        not as records: their titles and notes are free text."""
        return self.owned_by_side_of(user)


class Activity(models.Model):
    """A network-building activity of a member or of the network: what the NET-* count."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="network_activities",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(
        _("date"),
        help_text=_("When it took place, was submitted, started or was secured."),
    )
    end_date = models.DateField(
        _("until"),
        null=True,
        blank=True,
        help_text=_(
            "People with lived experience in case management: when their involvement "
            "ended, if it has."
        ),
    )
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    stakeholder = models.ForeignKey(
        Stakeholder,
        verbose_name=_("stakeholder"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        help_text=_("Optional: the host, funder or authority it was with."),
    )
    high_profile = models.BooleanField(
        _("high-profile event"),
        default=False,
        help_text=_("Presentations: a ministerial, parliamentary, EU, UN or international event."),
    )
    invited = models.BooleanField(
        _("invited to speak"), default=False, help_text=_("Presentations: we were invited.")
    )
    participants = models.PositiveIntegerField(
        _("participants"), null=True, blank=True, help_text=_("Trainings: how many took part.")
    )
    participants_lived_experience = models.PositiveIntegerField(
        _("of whom people with lived experience of detention"), null=True, blank=True
    )
    people = models.PositiveIntegerField(
        _("people with lived experience involved"),
        null=True,
        blank=True,
        help_text=_("People with lived experience in case management: how many."),
    )
    expansion = models.CharField(
        _("expansion"),
        max_length=12,
        choices=Expansion.choices,
        blank=True,
        help_text=_("Pilots started or explored: a new city, or a new country."),
    )
    note = models.TextField(_("note"), blank=True, help_text=_("No client and no names here."))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("network:activity_edit", args=[self.pk])

    @property
    def owner_label(self) -> str:
        return self.organisation.name if self.organisation is not None else str(_("The network"))


validate_currency = RegexValidator(
    r"^[A-Z]{3}$", _("Use the three capital letters of the currency, e.g. EUR.")
)


class DetentionCost(models.Model):
    """The cost of one day in immigration detention in a country, as published (coordinator)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    country = CountryField(_("country"))
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    amount = models.DecimalField(
        _("cost of a day in detention"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    source = models.CharField(
        _("source"),
        max_length=300,
        help_text=_("Where the figure comes from: the report, the reply to a question, its date."),
    )
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["country", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["country", "year"], name="one_detention_cost_a_year")
        ]
        verbose_name = _("cost of detention")
        verbose_name_plural = _("costs of detention")

    def __str__(self) -> str:
        return f"{self.country.code} {self.year}: {self.amount} {self.currency}"


class ProgrammeBudget(models.Model):
    """An organisation's budget for a period, entered by its admin, for the cost per client-day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="programme_budgets"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    amount = models.DecimalField(
        _("budget"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    covers = models.CharField(
        _("what it covers"),
        max_length=300,
        blank=True,
        help_text=_(
            "e.g. case management staff and clients' basic needs; say if it includes "
            "advocacy or other costs besides case management."
        ),
    )
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("programme budget")
        verbose_name_plural = _("programme budgets")

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.start}..{self.end}"
