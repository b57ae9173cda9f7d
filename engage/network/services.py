"""Keeping the stakeholder map, the network activities and the cost figures.

Each change is one function; rules that span fields or models raise `ValidationError` keyed by
field, which the forms show next to it. Ownership is decided here, from the user: an
organisation's supervisors and admins keep its records, the network coordinators the network's
(`organisation = None`).
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts.models import Organisation, Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.lib.concurrency import ConcurrentEditError, created_once, save_versioned
from engage.network.models import (
    Activity,
    ActivityKind,
    DetentionCost,
    Interaction,
    ProgrammeBudget,
    StageChange,
    Stakeholder,
    may_manage,
)

STAKEHOLDER_FIELDS = ("name", "actor_type", "level", "country", "city", "description", "shared")
ACTIVITY_FIELDS = (
    "kind", "title", "date", "end_date", "country", "city", "stakeholder", "high_profile",
    "invited", "participants", "participants_lived_experience", "people", "expansion", "note",
)  # fmt: skip


def today() -> datetime.date:
    return timezone.localdate()


def _require_manager(by: User) -> None:
    if not may_manage(by):
        raise PermissionDenied(
            _(
                "Only supervisors, organisation admins and the network "
                "coordinator keep these records."
            )
        )


def _require_owner(record: Stakeholder | Activity, by: User) -> None:
    """Refuse a change to a record of another side (the views 404 before this)."""
    _require_manager(by)
    if record.organisation_id != by.organisation_id:
        raise PermissionDenied(_("This record is kept by someone else."))


def _not_in_future(day: datetime.date | None, field: str) -> None:
    if day and day > today():
        raise ValidationError({field: _("This date is in the future.")})


@transaction.atomic
def save_stakeholder(
    *,
    by: User,
    data: dict[str, Any],
    stakeholder: Stakeholder | None = None,
    expected_version: int | None = None,
    stage: str | None = None,
    stage_date: datetime.date | None = None,
) -> Stakeholder:
    """Create a stakeholder of `by`'s side (with its first stage) or change its details."""
    _require_manager(by)
    _not_in_future(stage_date, "stage_date")
    if stakeholder is None:
        stakeholder = Stakeholder(organisation_id=by.organisation_id, created_by=by)
        for name in STAKEHOLDER_FIELDS:
            setattr(stakeholder, name, data[name])
        stakeholder.stage = stage or Stakeholder._meta.get_field("stage").default
        stakeholder.save()
        StageChange.objects.create(
            stakeholder=stakeholder, stage=stakeholder.stage, date=stage_date or today(), by=by
        )
        record(by, AuditEvent.Action.CREATE, stakeholder, detail=_shared(stakeholder))
        return stakeholder
    _require_owner(stakeholder, by)
    stored = Stakeholder.objects.values(*STAKEHOLDER_FIELDS).get(pk=stakeholder.pk)
    for name in STAKEHOLDER_FIELDS:
        setattr(stakeholder, name, data[name])
    save_versioned(stakeholder, expected_version=expected_version, fields=STAKEHOLDER_FIELDS)
    changed = [n for n in STAKEHOLDER_FIELDS if str(stored[n] or "") != str(data[n] or "")]
    record(by, AuditEvent.Action.UPDATE, stakeholder, detail=",".join(changed))
    return stakeholder


def _shared(stakeholder: Stakeholder) -> str:
    return "shared" if stakeholder.shared else ""


@transaction.atomic
def change_stage(
    stakeholder: Stakeholder,
    *,
    by: User,
    stage: str,
    date: datetime.date,
    expected_version: int | None = None,
) -> StageChange:
    """Move the stakeholder to `stage` since `date`, keeping the history, if no one else
    changed it since `expected_version` (ConcurrentEditError; None: the caller read no form)."""
    _require_owner(stakeholder, by)
    _not_in_future(date, "date")
    locked = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEditError
    if stage == locked.stage:
        raise ValidationError({"stage": _("The stakeholder is already at this stage.")})
    latest = locked.stages.order_by("-date", "-created_at").first()
    if latest and date < latest.date:
        raise ValidationError(
            {"date": _("The last change was on %(date)s: a new stage cannot start before it.")
             % {"date": latest.date.isoformat()}}
        )  # fmt: skip
    change = StageChange.objects.create(
        stakeholder=locked, stage=stage, previous=locked.stage, date=date, by=by
    )
    Stakeholder.objects.filter(pk=locked.pk).update(
        stage=stage, version=F("version") + 1, updated_at=timezone.now()
    )
    stakeholder.stage, stakeholder.version = stage, locked.version + 1
    record(by, AuditEvent.Action.TRANSITION, stakeholder, detail=f"stage={stage}")
    return change


@transaction.atomic
def log_interaction(stakeholder: Stakeholder, *, by: User, data: dict[str, Any]) -> Interaction:
    """Add an interaction to the log of a stakeholder of `by`'s side."""
    _require_owner(stakeholder, by)
    _not_in_future(data["date"], "date")
    interaction = Interaction.objects.create(
        stakeholder=stakeholder,
        date=data["date"],
        type=data["type"],
        people=data.get("people", ""),
        note=data.get("note", ""),
        recorded_by=by,
    )
    record(by, AuditEvent.Action.CREATE, interaction)
    return interaction


@transaction.atomic
def delete_interaction(interaction: Interaction, *, by: User) -> None:
    _require_owner(interaction.stakeholder, by)
    # On the stakeholder, which stays: the interaction's own id would name nothing left.
    record(by, AuditEvent.Action.UPDATE, interaction.stakeholder, detail="interaction_removed")
    interaction.delete()


def _check_activity(data: dict[str, Any], by: User) -> None:
    errors: dict[str, str] = {}
    kind = data["kind"]
    if data["date"] and data["date"] > today() and kind != ActivityKind.PRESENTATION:
        errors["date"] = _("This date is in the future.")
    if kind == ActivityKind.TRAINING:
        if data.get("participants") is None:
            errors["participants"] = _("Say how many took part in the training.")
        elif (data.get("participants_lived_experience") or 0) > data["participants"]:
            errors["participants_lived_experience"] = _(
                "More people with lived experience than participants."
            )
    elif data.get("participants") is not None or data.get("participants_lived_experience"):
        errors["participants"] = _("Participants are for trainings only.")
    if kind == ActivityKind.LIVED_EXPERIENCE_CASE_WORK:
        if not data.get("people"):
            errors["people"] = _("Say how many people with lived experience are involved.")
        if data.get("end_date") and data["date"] and data["end_date"] < data["date"]:
            errors["end_date"] = _("The end comes before the start.")
    else:
        if data.get("people"):
            errors["people"] = _(
                "This number is for people with lived experience in case management only."
            )
        if data.get("end_date"):
            errors["end_date"] = _(
                "An end date is for people with lived experience in case management only."
            )
    if kind in (ActivityKind.PILOT_STARTED, ActivityKind.PILOT_EXPLORED):
        if not data.get("expansion"):
            errors["expansion"] = _("Say whether it is a new city or a new country.")
        if not data.get("country"):
            errors["country"] = _("Say in which country.")
    elif data.get("expansion"):
        errors["expansion"] = _("This is for pilots started or explored only.")
    if kind != ActivityKind.PRESENTATION and (data.get("high_profile") or data.get("invited")):
        errors["high_profile"] = _("High-profile and invited are for presentations only.")
    stakeholder = data.get("stakeholder")
    if (
        stakeholder is not None
        and not Stakeholder.objects.visible_to(by).filter(pk=stakeholder.pk).exists()
    ):
        errors["stakeholder"] = _("Choose one of the stakeholders you can see.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_activity(
    *,
    by: User,
    data: dict[str, Any],
    activity: Activity | None = None,
    expected_version: int | None = None,
) -> Activity:
    """Record an activity of `by`'s side, or change one."""
    _require_manager(by)
    _check_activity(data, by)
    if activity is None:
        activity = Activity(organisation_id=by.organisation_id, recorded_by=by)
        for name in ACTIVITY_FIELDS:
            if name in data:
                setattr(activity, name, data[name])
        activity.save()
        record(by, AuditEvent.Action.CREATE, activity)
        return activity
    _require_owner(activity, by)
    for name in ACTIVITY_FIELDS:
        if name in data:
            setattr(activity, name, data[name])
    save_versioned(activity, expected_version=expected_version, fields=ACTIVITY_FIELDS)
    record(by, AuditEvent.Action.UPDATE, activity)
    return activity


@transaction.atomic
def delete_activity(activity: Activity, *, by: User) -> None:
    _require_owner(activity, by)
    record(by, AuditEvent.Action.UPDATE, activity, detail="removed")
    activity.delete()


# Costs


@transaction.atomic
def save_detention_cost(
    *,
    by: User,
    data: dict[str, Any],
    cost: DetentionCost | None = None,
    expected_version: int | None = None,
) -> DetentionCost:
    """Enter the cost of a day in detention in a country for a year, or correct `cost` if no
    one else did since `expected_version` (ConcurrentEditError)."""
    if by.role != Role.NETWORK_COORDINATOR:
        raise PermissionDenied(_("The cost of detention is entered by the network coordinator."))
    if data["year"] > today().year:
        raise ValidationError({"year": _("This year is in the future.")})
    clash = DetentionCost.objects.filter(country=data["country"], year=data["year"])
    if cost is not None:
        clash = clash.exclude(pk=cost.pk)

    def check() -> None:
        if clash.exists():
            raise ValidationError(
                {"year": _("There is already a figure for this country and year.")}
            )

    check()
    fields = ["country", "year", "amount", "currency", "source"]
    if cost is None:
        cost = created_once(
            lambda: DetentionCost.objects.create(
                entered_by=by, **{name: data[name] for name in fields}
            ),
            check=check,
        )
        record(by, AuditEvent.Action.CREATE, cost)
        return cost
    for name in fields:
        setattr(cost, name, data[name])
    cost.entered_by, cost.updated_at = by, timezone.now()
    save_versioned(
        cost, expected_version=expected_version, fields=[*fields, "entered_by", "updated_at"]
    )
    record(by, AuditEvent.Action.UPDATE, cost)
    return cost


@transaction.atomic
def save_budget(
    *,
    by: User,
    data: dict[str, Any],
    budget: ProgrammeBudget | None = None,
    expected_version: int | None = None,
) -> ProgrammeBudget:
    """Enter the organisation's budget for a period, or correct `budget` if no one else did
    since `expected_version` (ConcurrentEditError); periods may not overlap, so that no
    client-day is paid for twice."""
    if by.role != Role.ORG_ADMIN or by.organisation_id is None:
        raise PermissionDenied(_("The budget is entered by an organisation admin."))
    if data["end"] < data["start"]:
        raise ValidationError({"end": _("The end comes before the start.")})
    # The organisation's row, locked: no constraint holds the overlap, so of two budgets saved
    # at once the second waits for the first and sees it, rather than both being kept. (NO KEY:
    # a case or an audit entry, which only refer to the organisation, need not wait.)
    Organisation.objects.select_for_update(no_key=True).only("pk").get(pk=by.organisation_id)
    overlapping = ProgrammeBudget.objects.filter(
        organisation_id=by.organisation_id, start__lte=data["end"], end__gte=data["start"]
    )
    if budget is not None:
        if budget.organisation_id != by.organisation_id:
            raise PermissionDenied(_("This record is kept by someone else."))
        overlapping = overlapping.exclude(pk=budget.pk)
    if overlapping.exists():
        raise ValidationError({"start": _("This period overlaps another budget's.")})
    fields = ["start", "end", "amount", "currency", "covers"]
    if budget is None:
        budget = ProgrammeBudget.objects.create(
            organisation_id=by.organisation_id,
            entered_by=by,
            **{name: data[name] for name in fields},
        )
        record(by, AuditEvent.Action.CREATE, budget)
        return budget
    for name in fields:
        setattr(budget, name, data[name])
    budget.entered_by, budget.updated_at = by, timezone.now()
    save_versioned(
        budget, expected_version=expected_version, fields=[*fields, "entered_by", "updated_at"]
    )
    record(by, AuditEvent.Action.UPDATE, budget)
    return budget
