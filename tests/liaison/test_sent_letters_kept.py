"""A letter sent is kept: its PDF is the record of what went (docs/security.md).

A letter is sent when a liaison record names it (`LiaisonRecord.letter`). Its document cannot be
deleted by a case worker, nor by a bare delete in the database; a draft still can. Erasure and
retention still remove it.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import RestrictedError

from engage.audit.models import AuditEvent
from engage.documents import services as documents
from engage.documents import storage
from engage.documents.models import Document
from engage.liaison import services
from engage.liaison.models import Letter, LiaisonRecord
from engage.privacy.services import erase_person
from tests.liaison.conftest import days_ago, give_consent, liaise

pytestmark = pytest.mark.django_db

KEPT = "Sent: kept as the record of what went to the authority."
DELETE_BUTTON = '<button type="submit" class="danger">'


def _letter(case, by, title="Release request"):
    return services.save_letter(
        case, by=by, template=None, title=title, text="Please release the client.", language="en"
    )


@pytest.fixture
def sent(active_case, alice, office):
    """A letter recorded as sent to the migration office."""
    letter = _letter(active_case, alice)
    give_consent(active_case, alice, office)
    liaise(active_case, alice, office, kind="letter", letter=letter)
    return letter


@pytest.fixture
def draft(active_case, alice):
    return _letter(active_case, alice, title="Draft to discard")


def _all_still_there(letter):
    assert Letter.objects.filter(pk=letter.pk, document_id=letter.document_id).exists()
    assert Document.objects.filter(pk=letter.document_id).exists()
    assert storage.path_for(letter.document_id).exists()
    assert LiaisonRecord.objects.get(letter=letter)


class TestASentLetterIsKept:
    def test_the_service_refuses_to_delete_its_document(
        self, sent, bob, django_capture_on_commit_callbacks
    ):
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(ValidationError) as refused,
        ):
            documents.remove(sent.document, by=bob)
        assert refused.value.messages == [KEPT]
        _all_still_there(sent)

    def test_a_case_manager_posting_to_the_delete_address_is_refused(
        self, as_user, active_case, sent, alice, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(alice).post(f"/documents/{sent.document_id}/delete/", follow=True)
        assert response.redirect_chain == [(f"/documents/cases/{active_case.pk}/", 302)]
        assert KEPT in response.content.decode()
        _all_still_there(sent)
        assert not AuditEvent.objects.filter(detail="document_removed").exists()

    def test_the_delete_page_says_why_with_no_button_and_a_way_back(
        self, as_user, active_case, sent, alice
    ):
        page = as_user(alice).get(f"/documents/{sent.document_id}/delete/").content.decode()
        assert KEPT in page
        assert DELETE_BUTTON not in page
        assert f'href="/documents/cases/{active_case.pk}/"' in page

    def test_the_list_says_why_and_offers_delete_for_the_draft_only(
        self, as_user, active_case, sent, draft, alice
    ):
        page = as_user(alice).get(f"/documents/cases/{active_case.pk}/").content.decode()
        assert page.count(KEPT) == 1
        assert f"/documents/{sent.document_id}/delete/" not in page
        assert f"/documents/{draft.document_id}/delete/" in page

    def test_the_database_refuses_to_delete_its_document(self, sent):
        with pytest.raises(RestrictedError):
            Document.objects.filter(pk=sent.document_id).delete()
        _all_still_there(sent)


class TestADraftLetter:
    def test_it_is_deleted_with_its_document_and_audited(
        self, as_user, active_case, sent, draft, alice, django_capture_on_commit_callbacks
    ):
        client = as_user(alice)
        confirmation = client.get(f"/documents/{draft.document_id}/delete/").content.decode()
        assert DELETE_BUTTON in confirmation
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/documents/{draft.document_id}/delete/")
        assert response.status_code == 302
        assert not Letter.objects.filter(pk=draft.pk).exists()
        assert not Document.objects.filter(pk=draft.document_id).exists()
        assert not storage.path_for(draft.document_id).exists()
        assert AuditEvent.objects.filter(
            object_id=active_case.pk, detail="document_removed"
        ).exists()
        _all_still_there(sent)


class TestAStalePage:
    """The page was loaded before the other step happened (docs/security.md, "Found and left":
    deleting a draft at the instant it is recorded as sent; tests/liaison/test_sent_at_once.py
    plays the instant itself on PostgreSQL)."""

    def test_a_delete_page_loaded_before_the_letter_was_sent_is_refused_with_a_message(
        self, as_user, active_case, draft, alice, office, django_capture_on_commit_callbacks
    ):
        client = as_user(alice)
        page = client.get(f"/documents/{draft.document_id}/delete/").content.decode()
        assert DELETE_BUTTON in page  # a draft still
        give_consent(active_case, alice, office)
        liaise(active_case, alice, office, kind="letter", letter=draft)  # sent meanwhile
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/documents/{draft.document_id}/delete/", follow=True)
        assert response.redirect_chain == [(f"/documents/cases/{active_case.pk}/", 302)]
        assert KEPT in response.content.decode()
        _all_still_there(draft)

    def test_a_liaison_page_loaded_before_the_draft_was_deleted_is_refused_next_to_the_letter(
        self, as_user, active_case, draft, alice, office, django_capture_on_commit_callbacks
    ):
        client = as_user(alice)
        url = f"/liaison/cases/{active_case.pk}/new/"
        assert client.get(url, {"letter": draft.pk}).status_code == 200
        give_consent(active_case, alice, office)
        with django_capture_on_commit_callbacks(execute=True):
            documents.remove(draft.document, by=alice)  # deleted meanwhile
        response = client.post(
            url,
            {"kind": "letter", "date": days_ago(1).isoformat(), "authority": office.pk,
             "letter": draft.pk, "disclosure": "share", "categories": ["identity"],
             "outcome": "pending"},
        )  # fmt: skip
        assert response.status_code == 200
        assert 'id="id_letter_error"' in response.content.decode()
        assert not LiaisonRecord.objects.exists()


class TestErasureStillRemovesIt:
    @pytest.mark.parametrize("by", [None, "ada"])  # retention, and erasure at the person's request
    def test_erasure_removes_a_sent_letter_and_keeps_the_record_of_the_sending(
        self, request, active_case, sent, draft, by, django_capture_on_commit_callbacks
    ):
        eraser = request.getfixturevalue(by) if by else None
        with django_capture_on_commit_callbacks(execute=True):
            erase_person(active_case.person, by=eraser, reason="retention" if by is None else "x")
        for letter in (sent, draft):
            assert not Letter.objects.filter(pk=letter.pk).exists()
            assert not Document.objects.filter(pk=letter.document_id).exists()
            assert not storage.path_for(letter.document_id).exists()
        record = LiaisonRecord.objects.get(case=active_case)
        assert record.letter is None and record.summary == ""
