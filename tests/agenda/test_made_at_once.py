"""Two "make the address" at one instant (a double click): one feed in force, not two; and one
made as its owner is deactivated is refused, not kept for their reactivation.

Unlocked, neither request saw the other's feed, both stayed in force, and the browser showed one
key only; "Stop the feed" revoked that one and the other went on working with a key nobody had.
PostgreSQL's test: SQLite has one writer and no row locks, so there the second sees the first."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from engage.accounts import services as accounts
from engage.agenda import services
from engage.agenda.models import CalendarFeed
from engage.audit.models import AuditEvent
from tests.row_locks import waits_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)


@pytest.mark.django_db(transaction=True)  # two connections see each other's commits
def test_two_addresses_made_at_once_leave_one_in_force_and_stop_ends_it(alice):
    made = []
    second, second_key = waits_for(
        lambda: made.append(services.create_feed(alice)), lambda: services.create_feed(alice)
    )
    ((first, first_key),) = made
    # The second waited for the first, then revoked it as a later address does.
    assert list(CalendarFeed.objects.filter(user=alice, revoked_at__isnull=True)) == [second]
    assert services.feed_in_force(alice) == second
    first.refresh_from_db()
    assert first.revoked_at is not None and first.digest == services.digest(first_key)
    assert AuditEvent.objects.filter(object_id=first.pk, detail=services.REVOKED).exists()
    # So "Stop the feed" leaves no address working.
    services.revoke_feed(services.feed_in_force(alice), by=alice)
    assert not CalendarFeed.objects.filter(user=alice, revoked_at__isnull=True).exists()
    assert services.feed_in_force(alice) is None and second_key != first_key


@pytest.mark.django_db(transaction=True)
def test_an_address_made_while_its_owner_is_deactivated_is_refused_and_none_comes_back(alice, ada):
    """Item 66: a deactivation ends the feeds for good. One made at that instant, from a
    request already past its checks, was made after `end_feeds` ran, and came back with the
    person's reactivation."""
    outcome = waits_for(
        lambda: accounts.deactivate_user(alice, by=ada), lambda: services.create_feed(alice)
    )
    assert isinstance(outcome, PermissionDenied)
    assert not CalendarFeed.objects.exists()
    accounts.reactivate_user(alice, by=ada)
    alice.refresh_from_db()
    assert services.feed_in_force(alice) is None
