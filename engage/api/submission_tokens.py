"""Submission tokens: what a pilot's own instance sends its network submission to the hub with
(`engage submit_dataset --hub`). Made by the network coordinator for one pilot, shown once,
kept as a digest, with an expiry, revocable; good for `POST /api/v1/submissions/` only."""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts.models import User
from engage.api.models import SubmissionToken
from engage.api.tokens import SHOWN_CHARACTERS, TokenRefused, digest
from engage.audit.models import AuditEvent
from engage.audit.services import record, refused_too_often
from engage.mel.dataset.submission import PILOT

# Not a secret: a leaked token is recognisable, and never taken for a personal access token.
TOKEN_PREFIX = "engsub_"  # noqa: S105
# A pilot submits every quarter or half-year: a year, so one token serves a reporting cycle.
MAX_DAYS = 366


@transaction.atomic
def create_submission_token(
    *,
    pilot: str,
    name: str,
    expires_on: datetime.date,
    by: User,
    request: HttpRequest | None = None,
) -> tuple[SubmissionToken, str]:
    """Make a token for `pilot`'s submissions; return it with the token in clear (never kept)."""
    pilot = pilot.strip().upper()
    if not PILOT.match(pilot):
        raise ValidationError({"pilot": _("A pilot's code looks like BG-CLA.")})
    today = timezone.localdate()
    if expires_on <= today:
        raise ValidationError({"expires_on": _("Choose a date after today.")})
    if expires_on > today + datetime.timedelta(days=MAX_DAYS):
        raise ValidationError(
            {"expires_on": _("A token lasts %(days)s days at most.") % {"days": MAX_DAYS}}
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.make_aware(
        datetime.datetime.combine(expires_on, datetime.time.max), timezone.get_current_timezone()
    )
    made = SubmissionToken.objects.create(
        pilot=pilot,
        name=name.strip(),
        prefix=token[:SHOWN_CHARACTERS],
        digest=digest(token),
        created_by=by,
        expires_at=expires_at,
    )
    record(by, AuditEvent.Action.PERMISSION_CHANGE, made,
           detail=f"submission_token_created for {pilot}", request=request)  # fmt: skip
    return made, token


@transaction.atomic
def revoke_submission_token(
    made: SubmissionToken, *, by: User, request: HttpRequest | None = None
) -> None:
    if made.revoked_at is not None:
        return
    made.revoked_at = timezone.now()
    made.save(update_fields=["revoked_at"])
    record(by, AuditEvent.Action.PERMISSION_CHANGE, made,
           detail=f"submission_token_revoked for {made.pilot}", request=request)  # fmt: skip


def token_for(token: str, *, request: HttpRequest | None = None) -> SubmissionToken:
    """Return the submission token `token` if it may be used now; record and raise otherwise."""
    made = (
        SubmissionToken.objects.filter(digest=digest(token)).first()
        if token.startswith(TOKEN_PREFIX)
        else None
    )
    now = timezone.now()
    if made is None:
        reason = "unknown"
    elif made.revoked_at is not None:
        reason = "revoked"
    elif made.expires_at <= now:
        reason = "expired"
    else:
        SubmissionToken.objects.filter(pk=made.pk).update(last_used_at=now)
        return made
    if refused_too_often(request, "submission_token_"):  # as a personal token's
        raise TokenRefused(reason)
    record(None, AuditEvent.Action.LOGIN_FAILED, made,
           detail=f"submission_token_{reason}", request=request)  # fmt: skip
    raise TokenRefused(reason)
