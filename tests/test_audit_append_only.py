"""The audit log is append-only for the application (R23)."""

import pytest
from django.db import DatabaseError, connection, transaction

from engage.audit.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(alice):
    return AuditEvent.objects.create(actor_id=alice.pk, action="view", object_type="cases.case")


def test_the_orm_cannot_change_or_delete_an_entry(event):
    event.detail = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().detail == ""


def test_raw_sql_cannot_change_an_entry(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET detail = 'tampered'")
    assert AuditEvent.objects.get().detail == ""


def test_raw_sql_cannot_delete_an_entry(event):
    # Both databases since audit migration 0004 (SQLite lets only `flush` delete).
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 1
