"""Changes to organisations, teams and users. Views call these; nothing else writes them."""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts import lockout
from engage.accounts.models import (
    CASE_HOLDER_ROLES,
    ORGANISATION_ROLES,
    City,
    Organisation,
    Role,
    Team,
    User,
)
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.lib.client_address import client_address
from engage.lib.concurrency import created_once, save_versioned


@transaction.atomic
def create_organisation(
    *, code: str, name: str, country: str, cities: Iterable[str] = ()
) -> Organisation:
    organisation = Organisation(code=code, name=name, country=country)
    organisation.full_clean()
    organisation.save()
    set_cities(organisation, cities)
    return organisation


ORGANISATION_SETTINGS = (
    "name",
    "time_zone",
    "contact_interval_days",
    "reassessment_interval_days",
    "plan_review_interval_days",
    "retention_months",
    "offline_hours",
    "caseload_target_min",
    "caseload_target_max",
    "default_legal_basis",
)


@transaction.atomic
def update_organisation(
    organisation: Organisation, *, expected_version: int, cities: Iterable[str], **settings: Any
) -> None:
    """Save the organisation's name and case management settings, and its cities."""
    for name in ORGANISATION_SETTINGS:
        setattr(organisation, name, settings[name])
    organisation.full_clean()
    save_versioned(organisation, expected_version=expected_version, fields=ORGANISATION_SETTINGS)
    set_cities(organisation, cities)


def set_cities(organisation: Organisation, names: Iterable[str]) -> None:
    """Make the organisation's cities exactly `names` (blank and repeated names ignored).

    A city its cases name stays: each case points to it (`on_delete=PROTECT`), and deleting it
    was a server error (ProtectedError); the field says which to keep instead."""
    wanted = {" ".join(name.split()) for name in names if name.strip()}
    doomed = organisation.cities.exclude(name__in=wanted)
    # `case` is the reverse of Case.city, joined from the city (no scoped manager is queried).
    in_use = sorted(set(doomed.filter(case__isnull=False).values_list("name", flat=True)))
    if in_use:
        raise ValidationError(
            {
                "cities": _("Keep %(cities)s: cases are recorded there.")
                % {"cities": ", ".join(in_use)}
            }
        )
    doomed.delete()
    existing = set(organisation.cities.values_list("name", flat=True))
    City.objects.bulk_create(
        City(organisation=organisation, name=name) for name in sorted(wanted - existing)
    )


def _check_team(organisation_id: UUID | None, team: Team | None) -> None:
    if team is not None and team.organisation_id != organisation_id:
        raise ValidationError({"team": _("Choose a team of your own organisation.")})


def _check_organisation_role(role: str) -> None:
    if role not in ORGANISATION_ROLES:
        raise ValidationError({"role": _("Choose a role within the organisation.")})


@transaction.atomic
def create_user(
    *,
    organisation: Organisation | None,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    team: Team | None = None,
    must_change_password: bool = True,
) -> User:
    """Create a member of staff; they choose their own password at first login."""
    if organisation is None:
        if role != Role.NETWORK_COORDINATOR:
            raise ValidationError({"role": _("Only the network coordinator has no organisation.")})
    else:
        _check_organisation_role(role)
        _check_team(organisation.pk, team)
    user = User(
        organisation=organisation,
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        team=team,
        must_change_password=must_change_password,
    )
    user.set_password(password)
    user.full_clean()
    created_once(user.save, check=user.full_clean)  # the same name given at the same instant
    return user


def _audit_value(value: object) -> str:
    """A role, a team's id or a yes/no, as the audit detail writes it ("-" for none)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _check_still_an_admin(by: User) -> None:
    """Lock the active admins of `by`'s organisation and check that `by` is still one of them,
    inside the change's transaction. Two admins deactivating (or demoting) each other at once
    left the organisation with none: each request had loaded its admin before the other's
    change (docs/security.md, item 53). Now the second waits for the first, then is refused;
    and since nobody may deactivate or demote themselves, one admin always remains."""
    admins = User.objects.select_for_update().filter(
        organisation=by.organisation, role=Role.ORG_ADMIN, is_active=True
    )
    if by.pk not in set(admins.values_list("pk", flat=True)):
        raise ValidationError(_("You are no longer an admin of this organisation."))


# Sent when a person's role no longer works on cases, with `by` who changed it, so the apps above
# this one end for good what only a case worker holds: the calendar feed (engage.agenda) is
# revoked, the devices keeping offline cases (engage.offline) are told to wipe, so moving the
# person back to working on cases later brings none of it back.
case_work_ended = Signal()

# Sent when a person's role changes, with `by` who changed it, so the apps above this one end
# what was made for the role they had: their API tokens (engage.api), made at the sign-in that
# role asked for. A case manager made supervisor or admin must verify with a security key, which
# holds their sessions until they do; a token made after an authenticator's code would
# otherwise carry the new role's access without one.
role_changed = Signal()


@transaction.atomic
def update_user(
    user: User,
    *,
    by: User,
    expected_version: int,
    role: str,
    team: Team | None,
    first_name: str,
    last_name: str,
    email: str,
    may_override_consent: bool = False,
    language: str | None = None,
) -> None:
    """Change a colleague's details, role, team or permissions (an organisation admin's task);
    `language` None leaves their language as it is."""
    _check_organisation_role(role)
    _check_team(user.organisation_id, team)
    _check_still_an_admin(by)
    if user == by and role != Role.ORG_ADMIN:
        raise ValidationError(
            {"role": _("You cannot remove your own admin role; ask another admin to do it.")}
        )
    # Compare with the row as stored: a ModelForm has already copied the new values onto
    # `user` by the time it is valid, so the instance cannot say what changed.
    stored = User.objects.filter(pk=user.pk).values("role", "team_id", "may_override_consent").get()
    access = (
        ("role", stored["role"], role),
        ("team", stored["team_id"], team.pk if team is not None else None),
        ("may_override_consent", stored["may_override_consent"], may_override_consent),
    )
    access_changed = [
        f"{name}:{_audit_value(old)}>{_audit_value(new)}" for name, old, new in access if old != new
    ]
    user.role, user.team, user.may_override_consent = role, team, may_override_consent
    user.first_name, user.last_name, user.email = first_name, last_name, email
    fields = ["role", "team", "may_override_consent", "first_name", "last_name", "email"]
    if language is not None:
        if language and language not in dict(settings.LANGUAGES):
            raise ValidationError({"language": _("Choose one of Engage's languages.")})
        user.language = language
        fields.append("language")
    save_versioned(user, expected_version=expected_version, fields=fields)
    if access_changed:
        record(by, AuditEvent.Action.PERMISSION_CHANGE, user, detail=",".join(access_changed))
    else:
        record(by, AuditEvent.Action.UPDATE, user)
    if stored["role"] != role:
        role_changed.send(sender=User, user=user, by=by)
    if stored["role"] in CASE_HOLDER_ROLES and role not in CASE_HOLDER_ROLES:
        case_work_ended.send(sender=User, user=user, by=by)


@transaction.atomic
def deactivate_user(user: User, *, by: User) -> int:
    """Stop `user` from signing in and end their open sessions and API tokens at once.

    The tokens are revoked, not only refused while the account is inactive, so that
    reactivating someone (after a stolen laptop, say) brings none back. Return how many
    sessions were ended.
    """
    if user == by:
        raise ValidationError(_("You cannot deactivate your own account."))
    _check_still_an_admin(by)
    was_active = User.objects.filter(pk=user.pk).values_list("is_active", flat=True).get()
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    detail = f"is_active:{_audit_value(was_active)}>no"
    record(by, AuditEvent.Action.PERMISSION_CHANGE, user, detail=detail)
    tokens = list(user.api_tokens.filter(revoked_at__isnull=True))
    user.api_tokens.filter(pk__in=[token.pk for token in tokens]).update(revoked_at=timezone.now())
    for token in tokens:
        record(by, AuditEvent.Action.PERMISSION_CHANGE, token, detail="api_token_revoked")
    return end_sessions(user, by=by)


@transaction.atomic
def reactivate_user(user: User, *, by: User | None = None) -> None:
    was_active = User.objects.filter(pk=user.pk).values_list("is_active", flat=True).get()
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    detail = f"is_active:{_audit_value(was_active)}>yes"
    record(by, AuditEvent.Action.PERMISSION_CHANGE, user, detail=detail)


# Sent when a person's sessions are ended for them (deactivation, a password reset, a reset of
# their second step), with `by` who ended them, so the apps above this one end what else the
# person holds, for good, even if the account is later reactivated: the devices keeping offline
# cases (engage.offline) are told to wipe, the calendar feed (engage.agenda) is revoked.
sessions_ended = Signal()


def end_sessions(user: User, *, by: User | None = None) -> int:
    """Delete every stored session of `user`; return how many there were.

    Django's database sessions do not index the user, so each live session is decoded. An
    organisation has tens of staff and a session lasts hours at most, so this stays small.
    """
    user_id = str(user.pk)
    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == user_id
    ]
    Session.objects.filter(pk__in=doomed).delete()
    sessions_ended.send(sender=User, user=user, by=by)
    return len(doomed)


@transaction.atomic
def save_team(team: Team, *, expected_version: int | None = None, by: User | None = None) -> Team:
    """Create `team` or save its name and supervisor, refusing a leader from elsewhere.

    The leader sees every case of the team, so a new leader is a permission change, logged
    from whom to whom (compared with the row as stored: the form has already changed `team`).
    """
    if team.leader is not None and (
        team.leader.organisation_id != team.organisation_id or team.leader.role != Role.SUPERVISOR
    ):
        raise ValidationError(
            {"leader": _("The team's leader must be a supervisor of your organisation.")}
        )
    team.full_clean()
    adding = team._state.adding
    before = None if adding else Team.objects.values_list("leader_id", flat=True).get(pk=team.pk)
    if adding:
        created_once(team.save, check=team.full_clean)  # the same name at the same instant
    else:
        save_versioned(team, expected_version=expected_version, fields=["name", "leader"])
    if before != team.leader_id:
        detail = f"leader:{_audit_value(before)}>{_audit_value(team.leader_id)}"
        record(by, AuditEvent.Action.PERMISSION_CHANGE, team, detail=detail)
    else:
        record(by, AuditEvent.Action.CREATE if adding else AuditEvent.Action.UPDATE, team)
    return team


def password_changed(user: User) -> None:
    """Record that `user` chose their own password."""
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    user.must_change_password = False
    record(user, AuditEvent.Action.PASSWORD_CHANGE, user)


@transaction.atomic
def password_reset(user: User, *, request: HttpRequest | None = None) -> int:
    """Record a completed self-service reset and end every session `user` had open.

    The new password was chosen by the person, so no change is asked at the next sign-in; the
    second step still is. Return how many sessions were ended.
    """
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    user.must_change_password = False
    record(user, AuditEvent.Action.PASSWORD_CHANGE, user, detail="reset", request=request)
    return end_sessions(user, by=user)


def set_language(user: User, language: str, *, request: HttpRequest | None = None) -> None:
    """Remember the language `user` chose ("" to follow the browser's) for their sign-ins,
    emails and documents."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of Engage's languages.")})
    if User.objects.filter(pk=user.pk).values_list("language", flat=True).get() == language:
        user.language = language
        return
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    record(user, AuditEvent.Action.UPDATE, user, detail="language", request=request)


def step_up_session_exhausted(user: User, *, request: HttpRequest) -> None:
    """Record that a session spent its wrong passwords at the step-up page from several
    addresses (django-axes counts per address), so it is ended like a lockout."""
    record(
        None,
        AuditEvent.Action.LOCKOUT,
        user,
        detail="step_up",
        request=request,
        high_severity=True,
        organisation_id=user.organisation_id,
    )


def stepped_up(user: User, *, request: HttpRequest) -> None:
    """Record that `user` typed their password again (step-up, R20), and forget their failed
    attempts from this address, as a successful sign-in does (AXES_RESET_ON_SUCCESS)."""
    AxesProxyHandler.reset_attempts(
        ip_address=client_address(request), username=lockout.of_username(user.get_username())
    )
    record(user, AuditEvent.Action.LOGIN, user, detail="step_up", request=request)
