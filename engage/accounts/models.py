import datetime
import re
import uuid
import zoneinfo
from collections.abc import Callable
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from engage.lib.dates import local_today
from engage.lib.fields import EncryptedCharField
from engage.lib.queries import OneOf

PILOT_CODE_RE = re.compile(r"^(?P<country>[A-Z]{2})-(?P<short>[A-Z0-9]{2,10})$")

validate_pilot_code = RegexValidator(
    PILOT_CODE_RE,
    _(
        "Use the form CC-CODE: the two-letter country code, a dash, then 2 to 10 capital letters "
        "or digits (for example BG-CLA)."
    ),
)


def validate_time_zone(value: str) -> None:
    """Accept an IANA time zone name that this server knows, such as Europe/Sofia."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(value)s is not a time zone name such as Europe/Sofia."),
            params={"value": value},
        ) from None


def default_time_zone() -> str:
    return settings.TIME_ZONE


class LegalBasis(models.TextChoices):
    """The legal bases for processing personal data (GDPR art. 6; ICRC Handbook, chapter 3).

    Here rather than in `cases` because the organisation, as controller, names its usual one
    (`Organisation.default_legal_basis`); each case records its own.
    """

    CONSENT = "consent", _("Consent")
    VITAL_INTEREST = "vital_interest", _("Vital interest")
    PUBLIC_INTEREST = "public_interest", _("Important grounds of public interest")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    CONTRACT = "contract", _("Performance of a contract")
    LEGAL_OBLIGATION = "legal_obligation", _("Compliance with a legal obligation")


class Organisation(models.Model):
    """A pilot organisation of the network."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(
        _("pilot code"),
        max_length=13,
        unique=True,
        validators=[validate_pilot_code],
        help_text=_("The network's code for this pilot, e.g. BG-CLA."),
    )
    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country"))
    contact_interval_days = models.PositiveSmallIntegerField(
        _("contact interval (days)"),
        default=14,
        validators=[MinValueValidator(1)],
        help_text=_("A client with no contact for longer than this is flagged as overdue."),
    )
    reassessment_interval_days = models.PositiveSmallIntegerField(
        _("reassessment interval (days)"),
        default=90,
        validators=[MinValueValidator(1)],
        help_text=_("How often each client is reassessed."),
    )
    plan_review_interval_days = models.PositiveSmallIntegerField(
        _("plan review interval (days)"),
        default=90,
        validators=[MinValueValidator(1)],
        help_text=_("How often an approved case plan is reviewed."),
    )
    retention_months = models.PositiveSmallIntegerField(
        _("keep identifying data for (months after closure)"),
        default=24,
        validators=[MinValueValidator(1)],
        help_text=_(
            "After this long since a person's last case closed, their names, contact details "
            "and notes are erased automatically; the de-identified facts stay for statistics."
        ),
    )
    # How long cases taken offline stay on a phone without contact with the server
    # (docs/offline.md): after that the device wipes them, whatever else happens.
    offline_hours = models.PositiveSmallIntegerField(
        _("offline limit (hours)"),
        default=72,
        db_default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=_(
            "Cases taken offline for visits are wiped from the phone after this long without "
            "contact with Engage."
        ),
    )
    caseload_target_min = models.PositiveSmallIntegerField(
        _("caseload target, from"), default=20, validators=[MinValueValidator(1)]
    )
    caseload_target_max = models.PositiveSmallIntegerField(
        _("caseload target, to"), default=25, validators=[MinValueValidator(1)]
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        db_default="UTC",
        validators=[validate_time_zone],
        help_text=_(
            "Every date and time in Engage is shown in this zone, for example Europe/Sofia."
        ),
    )
    default_legal_basis = models.CharField(
        _("usual legal basis for processing"),
        max_length=24,
        db_default="",
        default="",
        choices=LegalBasis.choices,
        blank=True,
        help_text=_(
            "Proposed on every new referral, where another can be chosen. Leave empty to choose "
            "it each time."
        ),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def today(self) -> datetime.date:
        """Return today's date where the organisation works, whatever zone is active."""
        return local_today(self.time_zone)

    def clean(self) -> None:
        if self.caseload_target_min > self.caseload_target_max:
            raise ValidationError(
                {"caseload_target_max": _("The upper target must not be below the lower one.")}
            )
        match = PILOT_CODE_RE.match(self.code or "")
        if match and self.country and match["country"] != self.country.code:
            raise ValidationError(
                {
                    "code": _("The code must start with the country's code, %(country)s.")
                    % {"country": self.country.code}
                }
            )


class City(models.Model):
    """A city where a pilot works: the list its cases and its dataset rows name."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="cities")
    name = models.CharField(_("city"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_city_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamQuerySet(models.QuerySet["Team"]):
    def visible_to(self, user: "User") -> "TeamQuerySet":
        if user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)

    def with_member_counts(self) -> "TeamQuerySet":
        """Add `member_count`, the team's active members, and the leader, by name."""
        return (
            self.select_related("leader")
            .annotate(member_count=models.Count("members", filter=Q(members__is_active=True)))
            .order_by("name")
        )


class Team(models.Model):
    """A group of case managers inside an organisation, led by a supervisor."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=100)
    leader = models.ForeignKey(
        "User",
        verbose_name=_("supervisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_team_per_org"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:team_edit", args=[self.pk])


class Role(models.TextChoices):
    CASE_MANAGER = "case_manager", _("Case manager")
    SUPERVISOR = "supervisor", _("Supervisor")
    ORG_ADMIN = "org_admin", _("Organisation admin")
    NETWORK_COORDINATOR = "network_coordinator", _("Network coordinator")


ORGANISATION_ROLES = (Role.CASE_MANAGER, Role.SUPERVISOR, Role.ORG_ADMIN)
# Who can hold a caseload: the people working on cases. An organisation admin sees no notes and
# works on no case, so a case assigned to them would have nobody working on it.
CASE_HOLDER_ROLES = (Role.CASE_MANAGER, Role.SUPERVISOR)


def supervised_by(user: "User") -> Q:
    """The condition on users for `user` and the members of the teams `user` leads: whose
    caseloads and weeks a supervisor sees.

    As the ids of the teams `user` leads (`team_id = ANY(ARRAY(...))` on PostgreSQL,
    `engage.lib.queries.OneOf`), not a join to each user's team: with the join beside the `or`,
    PostgreSQL read every user of the organisation and every team of the network to keep a
    supervisor's nine (648 users and 511 teams at 100,000 clients, twice in each query of a
    supervisor's pages, issue 17); so both sides are index scans of the few rows they are.
    """
    led = Team.objects.filter(leader=user).values("pk")
    return Q(pk=user.pk) | Q(OneOf("team", led))


class EngageUserManager(UserManager["User"]):
    def visible_to(self, user: "User") -> models.QuerySet["User"]:
        """Return the users `user` may see: their own organisation's, or nobody."""
        if user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)

    def case_holders(self, organisation: Organisation) -> models.QuerySet["User"]:
        """Return who may be given a case of `organisation` (`User.can_hold_cases_of`)."""
        return self.filter(organisation=organisation, is_active=True, role__in=CASE_HOLDER_ROLES)


class User(AbstractUser):
    """A member of staff of one organisation, or of the network."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    must_change_password = models.BooleanField(default=False, editable=False)
    may_override_consent = models.BooleanField(
        _("May override consent"),
        default=False,
        help_text=_(
            "Lets this person share data without the client's consent, in an emergency, with "
            "a written reason and their password again. Every override is flagged in the audit "
            "log. Never possible towards immigration enforcement."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        db_default="",
        choices=settings.LANGUAGES,
        help_text=_("Blank: the language of the browser."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects: ClassVar[EngageUserManager] = EngageUserManager()
    # Not a field: django-otp's middleware gives the user of each request this check of
    # whether they did the second step.
    is_verified: Callable[[], bool]

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # The network coordinator belongs to the network, everybody else to one pilot.
            models.CheckConstraint(
                condition=(Q(role=Role.NETWORK_COORDINATOR) & Q(organisation__isnull=True))
                | (Q(role__in=ORGANISATION_ROLES) & Q(organisation__isnull=False)),
                name="role_matches_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_edit", args=[self.pk])

    @property
    def is_network(self) -> bool:
        return self.role == Role.NETWORK_COORDINATOR

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles

    def can_hold_cases_of(self, organisation: Organisation) -> bool:
        """Whether a case of `organisation` may be assigned to this person (one rule for the
        web forms, the API and imports)."""
        return self.organisation_id == organisation.pk and self.has_role(*CASE_HOLDER_ROLES)


class RecoveryCode(models.Model):
    """A single-use code to sign in when the authenticator app is lost; only its hash is kept."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user_id} {'used' if self.used_at else 'unused'}"


class AppSecret(models.Model):
    """The secret of a person's authenticator app (R17), encrypted like the case files (R26).

    django-otp keeps it in clear in its own table, where a copy of the database, a dump or a
    backup opened with the backup key gave it away: with a password guessed, or cracked from
    its hash, the thief made the second step's codes too. It is kept here instead, and
    django-otp's column holds a random key that makes no valid code (`AppDevice`).
    """

    device = models.OneToOneField(
        TOTPDevice, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    key = EncryptedCharField(max_length=80)

    class Meta:
        verbose_name = _("authenticator app secret")
        verbose_name_plural = _("authenticator app secrets")

    def __str__(self) -> str:
        return f"secret of device {self.device_id}"


class AppDevice(TOTPDevice):  # type: ignore[misc]  # untyped library
    """An authenticator app whose secret is read from `AppSecret`, never from the device's row."""

    key: str  # django-otp's column, untyped there

    class Meta:
        proxy = True

    @property
    def bin_key(self) -> bytes:  # django-otp's codes and the set-up's QR code read this
        return bytes.fromhex(self.secret())

    def secret(self) -> str:
        """Return the app's secret (hex), moving it out of the device's row if it is still
        there: a device set up before secrets were kept apart, or by the version before during
        a rolling upgrade (docs/deployment.md), is read as it is once, then kept encrypted."""
        in_row = self.key
        kept: str = (
            AppSecret.objects.get_or_create(device_id=self.pk, defaults={"key": in_row})[0].key
        )
        if in_row == kept:
            # django-otp saves the whole row after each code: never the secret again.
            self.key = default_key()
            TOTPDevice.objects.filter(pk=self.pk).update(key=self.key)
        return kept
