"""A draft letter deleted at the instant it is recorded as sent: one of the two wins, and the
other is refused with a message, not a server error. The record of the sending and the deletion
of the letter's document lock the case (and the person before it, in erasure's order): the one
that comes second waits, then reads what the first left. PostgreSQL's tests: SQLite has one
writer and no row locks."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from engage.documents import services as documents
from engage.documents import storage
from engage.documents.models import Document
from engage.liaison import services
from engage.liaison.models import Letter, LiaisonRecord
from engage.sharing.models import Share
from tests.liaison.conftest import give_consent, liaise
from tests.row_locks import waits_for

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),  # two connections see each other's commits
]

KEPT = "Sent: kept as the record of what went to the authority."


@pytest.fixture
def draft(active_case, alice, office):
    give_consent(active_case, alice, office)
    return services.save_letter(
        active_case, by=alice, template=None, title="Release request",
        text="Please release the client.", language="en",
    )  # fmt: skip


def test_a_deletion_while_the_letter_is_recorded_as_sent_waits_and_is_refused(
    active_case, draft, alice, office
):
    outcome = waits_for(
        lambda: liaise(active_case, alice, office, kind="letter", letter=draft),
        lambda: documents.remove(draft.document, by=alice),
    )
    assert isinstance(outcome, ValidationError) and outcome.messages == [KEPT]
    assert LiaisonRecord.objects.get(case=active_case).letter_id == draft.pk
    assert Document.objects.filter(pk=draft.document_id).exists()
    assert storage.path_for(draft.document_id).exists()


def test_a_sending_while_the_draft_is_deleted_waits_and_is_refused_next_to_the_letter(
    active_case, draft, alice, office
):
    outcome = waits_for(
        lambda: documents.remove(draft.document, by=alice),
        lambda: liaise(active_case, alice, office, kind="letter", letter=draft),
    )
    assert isinstance(outcome, ValidationError)
    assert outcome.message_dict == {
        "letter": ["This letter was deleted meanwhile: choose another, or none."]
    }
    assert not Letter.objects.filter(pk=draft.pk).exists()
    assert not LiaisonRecord.objects.exists() and not Share.objects.exists()
