"""Calendar feeds: made once and shown once, kept as a digest, revocable, audited like a token.

Making, revoking and every read of a feed are in the audit log, as are refused reads (an
unknown, revoked or ended key). Reads are limited per feed (`READS_PER_HOUR`), and refused
reads per address like sign-in failures (`AXES_FAILURE_LIMIT` within `AXES_COOLOFF_TIME`), so
neither a broken calendar app nor someone trying keys can fill the audit log.
"""

import datetime
import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from engage.accounts.models import User
from engage.agenda.models import CalendarFeed
from engage.audit.models import AuditEvent
from engage.audit.services import record, refused_too_often
from engage.cases.access import CASE_WORKERS
from engage.cases.models import Appointment, Case
from engage.cases.models.case import OPEN_STAGES

# A calendar app reads a feed every 15 minutes to a day; a person may also refresh by hand.
READS_PER_HOUR = 30
WINDOW = datetime.timedelta(hours=1)
# What the feed holds: the last month (to look back on) and the coming year.
DAYS_BACK, DAYS_AHEAD = 30, 365

CREATED, REVOKED, READ = "calendar_feed_created", "calendar_feed_revoked", "calendar_feed_read"
REFUSED = "calendar_feed_"  # + the reason, for refused reads


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(user: User) -> str:
    """Return what identifies `user`'s current password to their feed (not the password)."""
    return hashlib.sha256(f"engage-calendar-feed:{user.password}".encode()).hexdigest()


def feed_in_force(user: User) -> CalendarFeed | None:
    """Return the person's feed that works now, if any."""
    feed = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()
    if feed is None or feed.password_fingerprint != password_fingerprint(user):
        return None
    return feed


@transaction.atomic
def create_feed(user: User, *, request: HttpRequest | None = None) -> tuple[CalendarFeed, str]:
    """Make a new feed for `user` (revoking the previous one); return it with its key in clear.

    The key is never kept: only its digest is.
    """
    # The person's row, locked: of two "make the address" at once (a double click), the second
    # waits, then revokes the first's feed as any later one would. Unlocked, neither saw the
    # other's, both stayed in force, and the browser showed one key only: "Stop the feed"
    # revoked that one, and the other went on working with a key nobody had. (NO KEY: the
    # rows that only refer to the person, an audit entry, need not wait.)
    stored = User.objects.select_for_update(no_key=True).only("is_active", "role").get(pk=user.pk)
    # And read as stored: a deactivation or a move out of case work that committed while this
    # waited has ended the feeds already (`end_feeds`), and one made after would come back
    # with the person's reactivation (item 66).
    if not stored.is_active or stored.role not in CASE_WORKERS:
        raise PermissionDenied
    for old in CalendarFeed.objects.filter(user=user, revoked_at__isnull=True):
        revoke_feed(old, by=user, request=request)
    key = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        user=user, digest=digest(key), password_fingerprint=password_fingerprint(user)
    )
    record(user, AuditEvent.Action.PERMISSION_CHANGE, feed, detail=CREATED, request=request)
    return feed, key


@transaction.atomic
def revoke_feed(feed: CalendarFeed, *, by: User, request: HttpRequest | None = None) -> None:
    if feed.revoked_at is not None:
        return
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    record(by, AuditEvent.Action.PERMISSION_CHANGE, feed, detail=REVOKED, request=request)


def end_feeds(user: User, *, by: User | None) -> int:
    """Revoke every feed of `user` that is not revoked yet; return how many.

    Deactivation and a reset of the second step follow a lost or stolen phone, whose calendar
    reads the feed: refusing it only while the account is inactive would give it back to the
    phone when the account is reactivated.
    """
    feeds = list(CalendarFeed.objects.filter(user=user, revoked_at__isnull=True))
    for feed in feeds:
        revoke_feed(feed, by=by or user)
    return len(feeds)


class FeedRefused(Exception):
    """The key is unknown or no longer works (404), or too many reads were asked (429)."""

    def __init__(self, reason: str, *, too_many: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_many = too_many


def read_feed(key: str, *, request: HttpRequest) -> CalendarFeed:
    """Return the feed of `key` if it may be read now, counting the read; raise otherwise.

    The owner is checked on every read, as for an API token: deactivating someone or a change
    of their password ends their feed at once.
    """
    if refused_too_often(request, REFUSED):
        raise FeedRefused("locked_out", too_many=True)
    feed = CalendarFeed.objects.select_related("user").filter(digest=digest(key)).first()
    if feed is None:
        reason = "unknown"
    elif not feed.user.is_active:
        reason = "inactive_user"
    elif feed.user.role not in CASE_WORKERS:
        reason = "role"
    elif feed.revoked_at is not None:
        reason = "revoked"
    elif feed.password_fingerprint != password_fingerprint(feed.user):
        reason = "password_changed"
    else:
        _count_read(feed)
        record(feed.user, AuditEvent.Action.VIEW, feed, detail=READ, request=request)
        return feed
    user = feed.user if feed is not None else None
    record(
        None,
        AuditEvent.Action.LOGIN_FAILED,
        feed,
        detail=f"{REFUSED}{reason}",
        request=request,
        organisation_id=getattr(user, "organisation_id", None),
    )
    raise FeedRefused(reason)


def _count_read(feed: CalendarFeed) -> None:
    now = timezone.now()
    if feed.window_started_at is None or now - feed.window_started_at >= WINDOW:
        CalendarFeed.objects.filter(pk=feed.pk).update(
            window_started_at=now, window_reads=1, last_used_at=now
        )
        return
    # One statement, so that concurrent reads cannot both take the last one allowed.
    counted = CalendarFeed.objects.filter(pk=feed.pk, window_reads__lt=READS_PER_HOUR).update(
        window_reads=F("window_reads") + 1, last_used_at=now
    )
    if not counted:
        raise FeedRefused("too_many_reads", too_many=True)


def feed_appointments(user: User, today: datetime.date) -> QuerySet[Appointment]:
    """The appointments a person's feed carries: on the cases they hold, or that they planned.

    Run in the owner's organisation scope. Cancelled appointments are left out, so a calendar
    that reads the feed again removes them, and so are those still planned on a case no longer
    open (closing or declining a case cancels them; one declined before that was so still had
    them planned).
    """
    # The manager django-scopes makes is untyped (docs/architecture.md, "Types").
    appointments: QuerySet[Appointment] = (
        Appointment.objects.filter(case__in=Case.objects.visible_to(user))
        .filter(Q(case__case_manager=user) | Q(created_by=user))
        .exclude(status=Appointment.Status.CANCELLED)
        .exclude(Q(status=Appointment.Status.PLANNED) & ~Q(case__stage__in=OPEN_STAGES))
        .between(
            today - datetime.timedelta(days=DAYS_BACK), today + datetime.timedelta(days=DAYS_AHEAD)
        )
        .select_related("case")
    )
    return appointments
