"""Personal access tokens: made once, shown once, kept as a digest, revocable, with an expiry."""

import contextlib
import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts.models import User
from engage.api.models import PersonalAccessToken, password_fingerprint
from engage.audit.models import AuditEvent
from engage.audit.services import record, refused_too_often

# A public marker, not a secret: a leaked token is recognisable (by its owner, or a scanner).
TOKEN_PREFIX = "engage_"  # noqa: S105
# The first characters are kept in clear to tell tokens apart: 5 random ones, 30 bits of 256.
SHOWN_CHARACTERS = 12
# Updating `last_used_at` on every call would make each read a write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def max_days() -> int:
    return settings.ENGAGE_API_TOKEN_MAX_DAYS


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_token(
    user: User, *, name: str, expires_on: datetime.date, request: HttpRequest | None = None
) -> tuple[PersonalAccessToken, str]:
    """Make a token for `user`; return it with the token in clear, which is never kept."""
    today = timezone.localdate()
    if expires_on <= today:
        raise ValidationError({"expires_on": _("Choose a date after today.")})
    if expires_on > today + datetime.timedelta(days=max_days()):
        raise ValidationError(
            {"expires_on": _("A token lasts %(days)s days at most.") % {"days": max_days()}}
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.make_aware(
        datetime.datetime.combine(expires_on, datetime.time.max), timezone.get_current_timezone()
    )
    pat = PersonalAccessToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=token[:SHOWN_CHARACTERS],
        digest=digest(token),
        expires_at=expires_at,
        password_fingerprint=password_fingerprint(user),
    )
    record(
        user, AuditEvent.Action.PERMISSION_CHANGE, pat, detail="api_token_created", request=request
    )
    return pat, token


@transaction.atomic
def revoke_token(pat: PersonalAccessToken, *, by: User, request: HttpRequest | None = None) -> None:
    if pat.revoked_at is not None:
        return
    pat.revoked_at = timezone.now()
    pat.save(update_fields=["revoked_at"])
    record(
        by, AuditEvent.Action.PERMISSION_CHANGE, pat, detail="api_token_revoked", request=request
    )


def end_tokens(user: User, *, by: User | None) -> int:
    """Revoke every token of `user` still in force; return how many.

    A reset of the second step follows a lost or stolen laptop or phone, as deactivation does:
    a token kept there (a tool's settings) would go on reading the caseload, its owner's
    password unchanged, after the sessions of that device were ended. A new role is another
    access, asked for at another sign-in (a security key for a supervisor or an admin): a
    token made for the role before does not carry it. A token already ended by a password
    change is left as it is, so its page still says why it ended.
    """
    tokens = user.api_tokens.filter(revoked_at__isnull=True).select_related("user")
    ended = [token for token in tokens if token.in_force]
    for token in ended:
        revoke_token(token, by=by or user)
    return len(ended)


REFUSED = "api_token_"  # + the reason, for refused tokens


class TokenRefused(Exception):
    """The token is unknown, expired, revoked, or its owner can no longer work."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def user_for_token(
    token: str, *, request: HttpRequest | None = None
) -> tuple[User, PersonalAccessToken]:
    """Return the owner of `token` if it may be used now; record and raise otherwise.

    The owner is checked on every call, so deactivating someone stops their tokens at once,
    and so does a change of their password (a reset, an admin's temporary password, a
    command), since a token is bound to the password its owner had when they made it.
    """
    # The owner with their organisation, as the web's sign-in reads them (accounts.backends):
    # a call then reads the organisation (its time zone, the scope) without a query of its own.
    pat = None
    if token.startswith(TOKEN_PREFIX):
        tokens = PersonalAccessToken.objects.select_related("user__organisation")
        with contextlib.suppress(PersonalAccessToken.DoesNotExist):
            pat = tokens.get(digest=digest(token))  # unique
    now = timezone.now()
    if pat is None:
        reason = "unknown"
    elif not pat.user.is_active:
        reason = "inactive_user"  # first: deactivation also revokes the owner's tokens
    elif pat.revoked_at is not None:
        reason = "revoked"
    elif pat.expires_at <= now:
        reason = "expired"
    elif pat.ended_by_password_change:
        reason = "password_changed"
    else:
        if pat.last_used_at is None or now - pat.last_used_at > LAST_USED_RESOLUTION:
            PersonalAccessToken.objects.filter(pk=pat.pk).update(last_used_at=now)
            pat.last_used_at = now
        return pat.user, pat
    if refused_too_often(request, REFUSED):
        raise TokenRefused(reason)
    user = pat.user if pat is not None else None
    record(
        None,
        AuditEvent.Action.LOGIN_FAILED,
        pat,
        detail=f"{REFUSED}{reason}",
        request=request,
        organisation_id=getattr(user, "organisation_id", None),
    )
    raise TokenRefused(reason)
