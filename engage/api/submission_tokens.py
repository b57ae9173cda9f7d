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
    # Locked: an upload storing under this token (`hold`) finishes before the revocation, or
    # sees it and stores nothing.
    made = SubmissionToken.objects.select_for_update().get(pk=made.pk)
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
    reason = "unknown" if made is None else _refusal(made, now)
    if made is not None and not reason:
        SubmissionToken.objects.filter(pk=made.pk).update(last_used_at=now)
        return made
    refused(made, reason, request=request)
    raise TokenRefused(reason)


def _refusal(made: SubmissionToken, now: datetime.datetime) -> str:
    """Why `made` may not be used at `now` ("" when it may)."""
    if made.revoked_at is not None:
        return "revoked"
    if made.expires_at <= now:
        return "expired"
    return ""


def refused(
    made: SubmissionToken | None, reason: str, *, request: HttpRequest | None = None
) -> None:
    """Record a refused use of a submission token (until the sender refused too often)."""
    if refused_too_often(request, "submission_token_"):  # as a personal token's
        return
    record(None, AuditEvent.Action.LOGIN_FAILED, made,
           detail=f"submission_token_{reason}", request=request)  # fmt: skip


def hold(made: SubmissionToken) -> None:
    """Lock `made` until the transaction ends, and raise TokenRefused if it may no longer be
    used. An upload is checked against its token when it comes in, then read and checked,
    which takes seconds for a large submission and as long as a slow sender likes: what it
    stores, it stores in a transaction that holds its token, so a revocation (or the expiry)
    meanwhile stores nothing, and a revocation after waits for it."""
    current = SubmissionToken.objects.select_for_update().get(pk=made.pk)
    if reason := _refusal(current, timezone.now()):
        raise TokenRefused(reason)
