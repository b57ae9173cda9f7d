import secrets
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# LegalBasis lives with the organisation (its usual basis); a case records its own.
from engage.accounts.models import City, LegalBasis, Organisation, Role, User, supervised_by
from engage.cases.models.person import Household, Person
from engage.lib.fields import EncryptedFromClearCharField, EncryptedTextField
from engage.lib.queries import OneOf
from engage.lib.scoping import ScopedQuerySet, organisation_scoped

# Crockford's base32 without I, L, O, U: easy to read aloud and to type.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """Return a random case reference such as `K7Q4-M2XD` (40 random bits)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


class Stage(models.TextChoices):
    # A case's stage, said of the case (Greek "Ενεργή", of "η περίπτωση"), apart from the same
    # English words elsewhere: an active user, a closed linkage round, a declined service referral.
    REFERRED = "referred", pgettext_lazy("case stage", "Referred")
    SCREENING = "screening", pgettext_lazy("case stage", "Screening")
    DECLINED = "declined", pgettext_lazy("case stage", "Declined")
    INCLUDED = "included", pgettext_lazy("case stage", "Included")
    ACTIVE = "active", pgettext_lazy("case stage", "Active")
    CLOSED = "closed", pgettext_lazy("case stage", "Closed")


MAX_CONTACT_INTERVAL_DAYS = 90  # a client not seen for three months is no longer in contact

OPEN_STAGES = (Stage.REFERRED, Stage.SCREENING, Stage.INCLUDED, Stage.ACTIVE)
IN_PROGRAMME = (Stage.INCLUDED, Stage.ACTIVE)


class ReferralSource(models.TextChoices):
    AUTHORITY = "authority", _("Authority")
    DETENTION_CENTRE = "detention_centre", _("Detention centre")
    POLICE = "police", _("Police")
    NGO = "ngo", _("NGO")
    SELF = "self", _("Self-referral")
    COMMUNITY = "community", _("Community or word of mouth")
    OTHER = "other", _("Other")


class DetentionStatus(models.TextChoices):
    IN_DETENTION = "in_detention", _("In detention")
    RELEASED = "released", _("Recently released from detention")
    AT_RISK = "at_risk", _("At risk of detention")
    NONE = "none", _("None of these")


class MigrationStatus(models.TextChoices):
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
    REFUSED_ASYLUM_SEEKER = "refused_asylum_seeker", _("Refused asylum seeker")
    IRREGULAR = "irregular", _("Irregular status")
    BARRIER_TO_RETURN = "barrier_to_return", _("Barrier to return")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not known")


class EngagementLevel(models.TextChoices):
    ACTIVE = "active", _("Actively participating")
    COMPLIANT = "compliant", _("Complying only")
    DISENGAGED = "disengaged", _("Disengaged")


class Outcome(models.TextChoices):
    PROTECTION = "protection", _("International protection")
    REGULARISATION = "regularisation", _("Regularisation")
    THIRD_COUNTRY = "third_country", _("Moved to a third country")
    VOLUNTARY_RETURN = "voluntary_return", _("Voluntary return")
    TEMPORARY_STATUS = "temporary_status", _("Other temporary status")
    OTHER = "other", _("Other")


class Permanence(models.TextChoices):
    PERMANENT = "permanent", _("Permanent")
    TEMPORARY = "temporary", _("Temporary")


DEFAULT_PURPOSE = _("Case management in the community, as an alternative to detention")


class CaseQuerySet(ScopedQuerySet):
    def visible_to(self, user: User) -> "CaseQuerySet":
        """Return the cases `user` may see; the only way views reach cases.

        A case manager sees the cases assigned to them and the cases of those clients'
        households; a supervisor also sees the cases of the teams they lead; an organisation
        admin sees the organisation's; the network coordinator sees none.
        """
        if not user.is_active or user.organisation_id is None:
            return self.none()
        mine = self.filter(organisation_id=user.organisation_id)
        if user.role == Role.ORG_ADMIN:
            return mine
        assigned: Q | OneOf = Q(case_manager=user)
        if user.role == Role.SUPERVISOR:
            # The supervisor and the members of the teams they lead, as ids the case manager
            # index is searched with: a join to each case's team would read every case of the
            # organisation (12 ms a query at 14,000 clients a pilot; docs/performance.md).
            holders = User.objects.filter(organisation_id=user.organisation_id).filter(
                supervised_by(user)
            )
            assigned = OneOf("case_manager", holders.values("pk"))
        elif user.role != Role.CASE_MANAGER:
            return self.none()
        households = Case.objects.filter(assigned, household__isnull=False).values("household")
        # `OneOf`, not `__in`: PostgreSQL then plans both sides of the `or` as index scans of
        # the few cases they are, not a filter over the organisation's (engage.lib.queries).
        return mine.filter(Q(assigned) | Q(OneOf("household", households)))

    def open(self) -> "CaseQuerySet":
        return self.filter(stage__in=OPEN_STAGES)

    def of_own_teams(self, user: User) -> "CaseQuerySet":
        """Keep the cases held by `user` or by a member of a team `user` leads: the cases whose
        sensitive parts they read, whose steps they approve and whose requests they answer.
        Not those seen through a client's household only, which are their own team's.

        The one rule, for one case `Case.held_in_teams_of`; both rest on `supervised_by`."""
        holders = User.objects.filter(organisation=user.organisation).filter(supervised_by(user))
        return self.filter(case_manager__in=holders.values("pk"))


class Case(models.Model):
    """One person's enrollment in one pilot, from referral to closure.

    A person who comes back after closure gets a new enrollment (`previous` points back).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=9, default=new_reference)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cases", verbose_name=_("organisation")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("person")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("household"),
    )
    case_manager = models.ForeignKey(
        User, verbose_name=_("case manager"), on_delete=models.PROTECT, related_name="cases"
    )
    city = models.ForeignKey(City, verbose_name=_("city"), on_delete=models.PROTECT)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_enrollment",
        verbose_name=_("previous enrollment"),
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.REFERRED, db_index=True
    )

    referral_date = models.DateField(_("referral date"))
    referral_source = models.CharField(
        _("referred by"), max_length=20, choices=ReferralSource.choices
    )
    detention_at_referral = models.CharField(
        _("detention at referral"), max_length=16, choices=DetentionStatus.choices
    )
    migration_status = models.CharField(
        _("migration status at referral"), max_length=24, choices=MigrationStatus.choices
    )
    legal_basis = models.CharField(
        _("legal basis for processing"), max_length=24, choices=LegalBasis.choices
    )
    purpose = models.CharField(
        _("purpose of processing"),
        max_length=200,
        help_text=_("Why we hold this person's data. Sharing needs the client's consent apart."),
    )
    # Encrypted as the person's own languages are: "Tigrinya, via her cousin Abel" is free
    # text about them, and erasure blanks it with the rest (docs/security.md, item 55).
    interpreter_language = EncryptedFromClearCharField(
        _("interpreter language"),
        max_length=100,
        blank=True,
        help_text=_("Leave empty if no interpreter is needed."),
    )

    inclusion_date = models.DateField(_("inclusion date"), null=True, blank=True)
    declined_date = models.DateField(_("declined on"), null=True, blank=True)
    declined_reason = EncryptedTextField(_("reason for declining"), blank=True)
    engagement_level = models.CharField(
        _("engagement"), max_length=16, choices=EngagementLevel.choices, blank=True
    )
    # Empty: the organisation's interval. Set when one client needs closer or looser contact.
    contact_interval_days = models.PositiveSmallIntegerField(
        _("contact interval (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CONTACT_INTERVAL_DAYS)],
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_permanence = models.CharField(
        _("permanence"), max_length=10, choices=Permanence.choices, blank=True
    )
    outcome_date = models.DateField(_("outcome reached on"), null=True, blank=True)
    closure_date = models.DateField(_("closed on"), null=True, blank=True)
    # Kept when the person's identity is erased, so the statistics do not change.
    age_band_at_referral = models.CharField(
        max_length=8, blank=True, editable=False, verbose_name=_("age band at referral")
    )

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("organisation", CaseQuerySet)

    class Meta:
        ordering = ["-referral_date"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="unique_case_reference_per_org"
            ),
            models.CheckConstraint(
                condition=Q(outcome="") | ~Q(outcome_permanence=""),
                name="outcome_has_permanence",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis="") & ~Q(purpose=""),
                name="case_has_legal_basis_and_purpose",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def in_programme(self) -> bool:
        return self.stage in IN_PROGRAMME

    @property
    def contact_interval(self) -> int:
        """Return the days allowed between contacts: the case's own, else the organisation's."""
        return self.contact_interval_days or self.organisation.contact_interval_days

    def held_in_teams_of(self, user: User) -> bool:
        """Whether `user` holds this case or leads the team of the one who does
        (`CaseQuerySet.of_own_teams` for one case)."""
        if self.case_manager_id is None:
            return False
        if self.case_manager_id == user.pk:
            return True
        if Case.case_manager.is_cached(self):  # loaded with the case: no query
            team = self.case_manager.team
            return team is not None and team.leader_id == user.pk
        return User.objects.filter(supervised_by(user), pk=self.case_manager_id).exists()

    def shows_sensitive_to(self, user: User) -> bool:
        """Whether `user` reads what is marked sensitive on this case (a custom field's
        answers, a contact's note): its own case manager and their supervisor, the leader of
        the case manager's team. Not a colleague who sees the case through a client's
        household, whose client the note may be about, nor the organisation admin."""
        if self.case_manager_id == user.pk:
            return True
        return user.role == Role.SUPERVISOR and self.held_in_teams_of(user)


class EngagementRecord(models.Model):
    """The engagement level seen on a date; the case keeps the latest."""

    class Source(models.TextChoices):
        CONTACT = "contact", _("Contact")
        ASSESSMENT = "assessment", _("Assessment")
        REVIEW = "review", _("Review")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="engagement_records", verbose_name=_("case")
    )
    date = models.DateField(_("date"))
    level = models.CharField(_("engagement"), max_length=16, choices=EngagementLevel.choices)
    source = models.CharField(max_length=16, choices=Source.choices, verbose_name=_("source"))
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["date", "created_at"]
        verbose_name = _("engagement record")
        verbose_name_plural = _("engagement records")

    def __str__(self) -> str:
        return f"{self.date} {self.level}"
