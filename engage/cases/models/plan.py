"""Case plans: goals in areas of life, actions with owners and due dates, and reviews."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User
from engage.cases.models.case import Case
from engage.cases.models.person import Person
from engage.cases.models.process import ApprovalStatus, SupervisorReview
from engage.lib.fields import EncryptedCharField, EncryptedTextField
from engage.lib.scoping import ScopedQuerySet, organisation_scoped


class CasePlan(SupervisorReview):
    """The plan agreed with one person of the case (the client, or a household member)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = ApprovalStatus.PENDING.value, ApprovalStatus.PENDING.label
        APPROVED = ApprovalStatus.APPROVED.value, ApprovalStatus.APPROVED.label

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="plans", verbose_name=_("case")
    )
    person = models.ForeignKey(
        Person, verbose_name=_("plan for"), on_delete=models.PROTECT, related_name="plans"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status")
    )
    needs_approval = models.BooleanField(
        default=False, editable=False, verbose_name=_("needs approval")
    )
    approved_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    # When it was last sent to a supervisor (how long it has waited). The supervisor's last
    # review, approval or sending back, is in SupervisorReview's fields (a plan sent back is a
    # draft with `reviewed_at` set).
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("submitted at"))
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("case__organisation")

    class Meta:
        ordering = ["created_at"]
        # Whether a case waits for approval (what is due), without reading every plan.
        indexes = [
            models.Index(
                fields=["case"], condition=models.Q(status="pending"), name="caseplan_pending"
            )
        ]
        verbose_name = _("case plan")
        verbose_name_plural = _("case plans")

    def __str__(self) -> str:
        return str(_("Plan"))


class Goal(models.Model):
    """What the client and the case manager agreed to work towards, in one area of life."""

    class Area(models.TextChoices):
        MIGRATION = "migration", _("Migration case")
        BASIC_NEEDS = "basic_needs", _("Basic needs")
        HEALTH = "health", _("Health and well-being")
        ACTIVITY = "activity", _("Meaningful activity")
        FAMILY = "family", _("Family")
        OTHER = "other", _("Other")

    class Option(models.TextChoices):
        LEGAL_STAY = "legal_stay", _("Legal stay")
        THIRD_COUNTRY = "third_country", _("Third country")
        VOLUNTARY_RETURN = "voluntary_return", _("Voluntary return")

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("No longer pursued")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        CasePlan, on_delete=models.CASCADE, related_name="goals", verbose_name=_("plan")
    )
    area = models.CharField(_("area"), max_length=16, choices=Area.choices)
    migration_option = models.CharField(
        _("migration option explored"),
        max_length=20,
        choices=Option.choices,
        blank=True,
        help_text=_("For a migration case goal: which option it explores."),
    )
    description = EncryptedCharField(_("goal"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # When the goal was achieved or given up; empty while it is in progress.
    status_date = models.DateField(_("date achieved or given up"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Optimistic locking (lib.concurrency): goals are edited in place while others work on them.
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = organisation_scoped("plan__case__organisation")

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return self.description


# The order of the actions still to do: soonest due first (`still_to_do_on`).
TO_DO_ORDER = ("due_date", "created_at")


class ActionQuerySet(ScopedQuerySet):
    def still_to_do_on(self, case: Case) -> "ActionQuerySet":
        """The actions still to do in every plan of `case`, soonest due first, with their plan."""
        return (
            self.filter(goal__plan__case=case, status=Action.Status.OPEN)
            .select_related("goal__plan__person")
            .order_by(*TO_DO_ORDER)
        )


class Action(models.Model):
    """Who does what towards a goal, by when."""

    class Owner(models.TextChoices):
        CLIENT = "client", _("Client")
        CASE_MANAGER = "case_manager", _("Case manager")
        THIRD_PARTY = "third_party", _("Third party")

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="actions", verbose_name=_("goal")
    )
    description = EncryptedCharField(_("action"), max_length=300)
    owner = models.CharField(_("who"), max_length=16, choices=Owner.choices)
    third_party = EncryptedCharField(
        _("third party"),
        max_length=150,
        blank=True,
        help_text=_("Which service or person, when a third party owns the action."),
    )
    due_date = models.DateField(_("due by"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    completed_on = models.DateField(null=True, blank=True, verbose_name=_("completed on"))
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = organisation_scoped("goal__plan__case__organisation", ActionQuerySet)

    class Meta:
        ordering = ["due_date", "created_at"]
        # A case's oldest action past its date (what is due), from its goals by index.
        indexes = [
            models.Index(
                fields=["goal", "due_date"],
                condition=models.Q(status="open"),
                name="action_open_due",
            )
        ]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.description

    @property
    def days_overdue(self) -> int:
        """Days past the due date (negative: days left), for the `lateness` wording."""
        return (timezone.localdate() - self.due_date).days


class PlanReview(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        CasePlan, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("plan")
    )
    date = models.DateField(_("date of review"))
    note = EncryptedTextField(_("what was reviewed and agreed"))
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewed by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("plan__case__organisation")

    class Meta:
        ordering = ["date", "created_at"]
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")

    def __str__(self) -> str:
        return f"{self.date}"
