"""Deleting a case document: a closed case keeps its documents (docs/security.md)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from engage.audit.models import AuditEvent
from engage.cases import services as cases
from engage.cases.factories import CaseFactory, to_active
from engage.documents import services, storage
from engage.documents.models import Document
from tests.documents.test_documents import _upload, png_bytes

pytestmark = pytest.mark.django_db

KEPT = "The case is no longer open: its documents are kept."
DELETE_BUTTON = '<button type="submit" class="danger">'


@pytest.fixture
def case(organisation, alice, bob):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    return case


@pytest.fixture
def document(case, alice):
    return services.attach(case, by=alice, kind="decision", title="Decision", data=png_bytes())


def _close(case, alice, bob):
    closure = cases.request_closure(
        case,
        by=alice,
        data={"date": timezone.localdate(), "reason": "transferred", "disengagement_factors": []},
    )
    cases.review_closure(closure, by=bob, approve=True)
    case.refresh_from_db()
    assert not case.is_open


def _still_there(document):
    assert Document.objects.filter(pk=document.pk).exists()
    assert storage.path_for(document.pk).exists()


class TestAClosedCaseKeepsItsDocuments:
    def test_the_service_refuses_to_delete_a_closed_cases_document(
        self, case, document, alice, bob, django_capture_on_commit_callbacks
    ):
        _close(case, alice, bob)
        document.refresh_from_db()
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(ValidationError) as refused,
        ):
            services.remove(document, by=bob)
        assert refused.value.messages == [KEPT]
        _still_there(document)

    @pytest.mark.parametrize("who", ["alice", "bob"])
    def test_a_case_worker_posting_to_the_delete_address_is_refused(
        self, request, as_user, case, document, alice, bob, who, django_capture_on_commit_callbacks
    ):
        _close(case, alice, bob)
        client = as_user(request.getfixturevalue(who))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/documents/{document.pk}/delete/", follow=True)
        assert response.redirect_chain == [(f"/documents/cases/{case.pk}/", 302)]
        assert KEPT in response.content.decode()
        _still_there(document)
        assert not AuditEvent.objects.filter(detail="document_removed").exists()

    def test_the_delete_page_says_why_with_no_button_and_a_way_back(
        self, as_user, case, document, alice, bob
    ):
        _close(case, alice, bob)
        page = as_user(alice).get(f"/documents/{document.pk}/delete/").content.decode()
        assert KEPT in page
        assert DELETE_BUTTON not in page
        assert f'href="/documents/cases/{case.pk}/"' in page

    def test_the_list_offers_no_delete_and_says_why(self, as_user, case, document, alice, bob):
        _close(case, alice, bob)
        page = as_user(alice).get(f"/documents/cases/{case.pk}/").content.decode()
        assert KEPT in page
        assert f"/documents/{document.pk}/delete/" not in page

    def test_nothing_is_attached_to_a_closed_case_and_the_sender_is_told_why(
        self, as_user, case, document, alice, bob
    ):
        """Sent from a page opened before the closure: the page came back with no form, where
        the refusal was, and no message (review probe)."""
        _close(case, alice, bob)
        client = as_user(alice)
        response = _upload(client, case, png_bytes(), name="late.png", title="Late scan")
        assert response.status_code == 302
        assert Document.objects.filter(case=case).count() == 1
        page = client.get(response["Location"]).content.decode()
        assert "Documents can only be attached while the case is open." in page


class TestAnOpenCasesDocument:
    def test_it_is_offered_for_deletion_and_deleted_with_an_audit_entry(
        self, as_user, case, document, alice, django_capture_on_commit_callbacks
    ):
        client = as_user(alice)
        page = client.get(f"/documents/cases/{case.pk}/").content.decode()
        assert f"/documents/{document.pk}/delete/" in page and KEPT not in page
        assert DELETE_BUTTON in client.get(f"/documents/{document.pk}/delete/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/documents/{document.pk}/delete/")
        assert response.status_code == 302
        assert not Document.objects.filter(pk=document.pk).exists()
        assert not storage.path_for(document.pk).exists()
        assert AuditEvent.objects.filter(object_id=case.pk, detail="document_removed").exists()
