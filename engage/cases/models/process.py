"""First meeting, screening, the inclusion decision and assessments."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from engage.accounts.models import Organisation, User
from engage.cases.models.case import Case
from engage.lib.fields import EncryptedCharField, EncryptedTextField
from engage.lib.scoping import organisation_scoped
from engage.lib.translations import in_language, translations_field

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable
    from django_stubs_ext import StrOrPromise


class Rating(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# The five domains of the UNHCR/IDC Vulnerability Screening Tool, with the dataset's codes.
# The domain of the IDC screening tool, not a household member's relation ("Child", which
# Italian says "Figlio/a"): a client under 18.
CHILD_DOMAIN = pgettext_lazy("vulnerability domain", "Child")
VULNERABILITY_DOMAINS = (
    ("child", CHILD_DOMAIN),
    ("gender", _("Sex, gender, gender identity and sexual orientation")),
    ("health", _("Health and welfare")),
    ("protection", _("Protection needs")),
    ("other", _("Other")),
)


def vulnerability_codes(record: Any) -> list[str]:
    """The dataset codes of the domains with a concern, of a screening or an assessment, or of
    anything with their `vulnerability_<code>` flags (a row read as values)."""
    return [
        code for code, _label in VULNERABILITY_DOMAINS if getattr(record, f"vulnerability_{code}")
    ]


class VulnerabilityFields(models.Model):
    """A concern flag and a short note for each vulnerability domain."""

    vulnerability_child = models.BooleanField(CHILD_DOMAIN, default=False)
    vulnerability_child_note = EncryptedTextField(_("note"), blank=True)
    vulnerability_gender = models.BooleanField(
        _("Sex, gender, gender identity and sexual orientation"), default=False
    )
    vulnerability_gender_note = EncryptedTextField(_("note"), blank=True)
    vulnerability_health = models.BooleanField(_("Health and welfare"), default=False)
    vulnerability_health_note = EncryptedTextField(_("note"), blank=True)
    vulnerability_protection = models.BooleanField(_("Protection needs"), default=False)
    vulnerability_protection_note = EncryptedTextField(_("note"), blank=True)
    vulnerability_other = models.BooleanField(_("Other"), default=False)
    vulnerability_other_note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        abstract = True

    def vulnerability_codes(self) -> list[str]:
        """Return the dataset codes of the domains with a concern."""
        return vulnerability_codes(self)

    def vulnerabilities(self) -> list[tuple[str, "StrOrPromise", str]]:
        """Return (code, label, note) for each domain with a concern."""
        return [
            (code, label, getattr(self, f"vulnerability_{code}_note"))
            for code, label in VULNERABILITY_DOMAINS
            if getattr(self, f"vulnerability_{code}")
        ]


VULNERABILITY_FIELD_NAMES = [
    name
    for code, _label in VULNERABILITY_DOMAINS
    for name in (f"vulnerability_{code}", f"vulnerability_{code}_note")
]


class FirstMeeting(models.Model):
    """The first meeting: what was explained, and the client's consent to case management."""

    class Method(models.TextChoices):
        WRITTEN = "written", _("Signed in writing")
        ORAL = "oral", _("Given orally, recorded by the case manager")
        INTERPRETER = "interpreter", _("Given orally through an interpreter")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="first_meeting", verbose_name=_("case")
    )
    date = models.DateField(_("date of the meeting"))
    programme_explained = models.BooleanField(_("The programme was explained"), default=False)
    independence_explained = models.BooleanField(
        _("Our independence from the authorities was explained"), default=False
    )
    data_protection_explained = models.BooleanField(
        _("What data we record, why, and how it is protected was explained"), default=False
    )
    consent_given = models.BooleanField(_("The client consents to case management"), default=False)
    declaration_signed = models.BooleanField(
        _("The declaration of participation was recorded"), default=False
    )
    consent_method = models.CharField(
        _("how consent was given"), max_length=16, choices=Method.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = organisation_scoped("case__organisation")

    class Meta:
        verbose_name = _("first meeting")
        verbose_name_plural = _("first meetings")

    def __str__(self) -> str:
        return f"{self.case} {self.date}"


class Screening(VulnerabilityFields):
    """Basic information gathered before the inclusion decision."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="screening", verbose_name=_("case")
    )
    date = models.DateField(_("date of screening"))
    identity_notes = EncryptedTextField(_("identity and documents"), blank=True)
    family = EncryptedTextField(_("family"), blank=True)
    health = EncryptedTextField(_("health"), blank=True)
    safety = EncryptedTextField(_("safety issues"), blank=True)
    accommodation = EncryptedTextField(_("accommodation"), blank=True)
    basic_needs = EncryptedTextField(_("ability to meet basic needs"), blank=True)
    community_ties = EncryptedTextField(_("family and community ties"), blank=True)
    detention_risk = models.CharField(_("risk of detention"), max_length=8, choices=Rating.choices)
    return_possible = models.BooleanField(_("Return is possible"), default=False)
    return_imminent = models.BooleanField(_("Return is imminent"), default=False)
    intervention_rating = models.CharField(
        _("intervention needed"), max_length=8, choices=Rating.choices
    )
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")

    def __str__(self) -> str:
        return f"{self.case} {self.date}"


class EstablishedBy(models.TextChoices):
    """A fact Engage already records that can establish an eligibility criterion.

    The pilot links a criterion to one of these; the inclusion form then shows what the referral
    and the screening found for it (`cases.eligibility`).
    """

    DETENTION = "detention", _("In detention, recently released or at risk of it, when referred")
    NO_LEGAL_STAY = (
        "no_legal_stay",
        _("Refused asylum, irregular status or a barrier to return, when referred"),
    )
    CONSENT = "consent", _("Consent to case management given at the first meeting")
    DETENTION_RISK = "detention_risk", _("Risk of detention medium or high at screening")
    VULNERABILITY = "vulnerability", _("A vulnerability identified at screening")
    INTERVENTION = "intervention", _("Intervention needed medium or high at screening")
    RETURN_NOT_IMMINENT = "return_not_imminent", _("Return not imminent at screening")


class EligibilityCriterion(models.Model):
    """One line of a pilot's own eligibility checklist."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="eligibility_criteria"
    )
    text = models.CharField(_("criterion"), max_length=300)
    translations = translations_field()
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("in use"), default=True)
    established_by = models.CharField(
        _("established by"),
        max_length=24,
        db_default="",
        default="",
        choices=EstablishedBy.choices,
        blank=True,
        help_text=_(
            "A fact already recorded that shows whether the criterion is met; the inclusion form "
            "then shows what was found. Leave empty for a criterion the team judges."
        ),
    )
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["position", "text"]
        verbose_name = _("eligibility criterion")
        verbose_name_plural = _("eligibility criteria")

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        """The criterion in the active language, or as written."""
        return in_language(self.text, self.translations)


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Sent back")


class SupervisorReview(models.Model):
    """The supervisor's last review of a record that needs approval (a decision, a plan, a
    closure): who approved or sent it back, when, and the note saying what needs to change.
    """

    reviewed_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))
    review_note = EncryptedTextField(_("note from the supervisor"), blank=True)

    class Meta:
        abstract = True

    def note_review(self, *, by: User, at: datetime, note: str) -> list[str]:
        """Record the review on the instance; return the fields to save."""
        self.reviewed_by, self.reviewed_at, self.review_note = by, at, note
        return ["reviewed_by", "reviewed_at", "review_note"]


class ApprovalRequest(SupervisorReview):
    """A record waiting for a supervisor, approved or sent back (inclusion decision, closure).

    A case plan has statuses of its own (a draft before it is sent) and only the review.
    """

    status = models.CharField(
        max_length=10,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
        verbose_name=_("status"),
    )

    class Meta:
        abstract = True


@dataclass(frozen=True)
class CriteriaTally:
    """How many of the checklist's criteria a decision found met: "2 of 4 criteria met"."""

    met: int
    total: int

    def __bool__(self) -> bool:
        return self.total > 0

    def __str__(self) -> str:
        return ngettext(
            "%(met)d of %(total)d criterion met",
            "%(met)d of %(total)d criteria met",
            self.total,
        ) % {"met": self.met, "total": self.total}

    @property
    def all_met(self) -> bool:
        return self.met == self.total


class InclusionDecision(ApprovalRequest):
    """The team's decision to include or decline a referral, approved by a supervisor."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="inclusion_decisions", verbose_name=_("case")
    )
    include = models.BooleanField(_("decision"))
    date = models.DateField(_("date of the team's decision"))
    # The checklist as it was answered: [{"text": ..., "met": true, "established": true}], kept
    # even if the pilot's criteria change later. "established": the records showed it met
    # (cases.eligibility); absent in decisions proposed before that was recorded.
    criteria = models.JSONField(default=list, verbose_name=_("criteria"))
    reason = EncryptedTextField(_("reasons"), blank=True)
    proposed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    # status, reviewed_by, reviewed_at, review_note: ApprovalRequest
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["created_at"]
        # Whether a case waits for approval (what is due), without reading every decision.
        indexes = [
            models.Index(
                fields=["case"], condition=models.Q(status="pending"), name="inclusion_pending"
            )
        ]
        verbose_name = _("inclusion decision")
        verbose_name_plural = _("inclusion decisions")

    def __str__(self) -> str:
        return f"{self.case} {'include' if self.include else 'decline'} {self.status}"

    def criteria_met(self) -> CriteriaTally:
        """Return how many criteria the team found met, of the checklist it answered.

        `{{ decision.criteria_met }}` shows "2 of 4 criteria met"; it is false for a decision
        taken without a checklist.
        """
        return CriteriaTally(
            met=sum(1 for criterion in self.criteria if criterion.get("met")),
            total=len(self.criteria),
        )


def _rating(
    label: "StrOrPromise",
) -> "models.PositiveSmallIntegerField[float | int | str | Combinable, int]":
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


class Assessment(VulnerabilityFields):
    """An in-depth, periodic review of needs, risks and strengths, with three 1-5 ratings."""

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", _("Initial or scheduled")
        NEW_DECISION = "new_decision", _("New decision on the case")
        NEW_LAW = "new_law", _("New law or policy")
        CRISIS = "crisis", _("Crisis")
        OTHER = "other", _("Other change")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("case")
    )
    date = models.DateField(_("date of assessment"))
    trigger = models.CharField(
        _("reason for this assessment"),
        max_length=16,
        choices=Trigger.choices,
        default=Trigger.SCHEDULED,
    )
    needs = EncryptedTextField(_("needs"), blank=True)
    risks = EncryptedTextField(_("risks"), blank=True)
    strengths = EncryptedTextField(_("strengths"), blank=True)
    informed_decisions = _rating(_("ability to participate in informed decision making"))
    engage_procedures = _rating(_("ability to engage with immigration procedures"))
    wellbeing = _rating(_("coping and well-being"))
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["date", "created_at"]
        indexes = [
            # What the network dataset reads of a case's assessments, in its order, from the
            # index alone: an assessment's row holds its notes, encrypted, before these columns
            # (mel.dataset.rows; issue 17).
            models.Index(
                fields=[
                    "case", "date", "created_at", "id",
                    "informed_decisions", "engage_procedures", "wellbeing",
                    *(f"vulnerability_{code}" for code, _label in VULNERABILITY_DOMAINS),
                ],
                name="assessment_dataset",
            )
        ]  # fmt: skip
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.case} {self.date}"


class ReassessmentRequest(models.Model):
    """A reassessment asked for before it is due (a new decision, a new law, a crisis)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="reassessment_requests", verbose_name=_("case")
    )
    trigger = models.CharField(_("reason"), max_length=16, choices=Assessment.Trigger.choices[1:])
    note = EncryptedCharField(_("what changed"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("requested at"))
    fulfilled_by = models.OneToOneField(
        Assessment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="request",
        verbose_name=_("fulfilled by"),
    )

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["requested_at"]
        verbose_name = _("reassessment request")
        verbose_name_plural = _("reassessment requests")

    def __str__(self) -> str:
        return f"{self.case} {self.trigger}"
