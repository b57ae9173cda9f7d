"""A file whose row never committed is not kept (lib.encrypted_files, docs/security.md).

A document's or an upload's encrypted file is written before its transaction commits. A
transaction that rolls back left it on disk with no row naming it, and an erasure, which finds
files by their rows, never found it: the person's decision letter or spreadsheet stayed.
"""

import datetime
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.documents import services, storage
from engage.documents.models import Document
from engage.imports import services as imports
from engage.imports import storage as import_storage
from engage.imports.models import ImportJob
from engage.liaison import services as liaison
from engage.lib import encrypted_files
from engage.privacy.services import apply_retention, sweep_orphan_files
from tests.documents.test_documents import png_bytes

pytestmark = pytest.mark.django_db


class LetterFailed(Exception):
    pass


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(organisation=organisation, case_manager=alice)


def _later(minutes: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def _age(path, minutes: int) -> None:
    """Make the file look written `minutes` ago."""
    when = (timezone.now() - datetime.timedelta(minutes=minutes)).timestamp()
    os.utime(path, (when, when))


def _attached_then_rolled_back(case, alice) -> Document:
    """The attack: an outer block, not the service's, that attaches and then fails."""
    with pytest.raises(LetterFailed), transaction.atomic():
        document = services.attach(
            case, by=alice, kind="decision", title="SentinelTitle", data=png_bytes()
        )
        raise LetterFailed
    return document


class TestSweep:
    def test_it_deletes_the_file_of_a_rolled_back_document_once_old_enough(self, case, alice):
        document = _attached_then_rolled_back(case, alice)
        path = storage.path_for(document.pk)
        assert not Document.objects.exists() and path.exists()  # nobody could find it

        # Young, it may be a transaction still open: left alone.
        assert storage.sweep(_later(59)) == 0
        assert path.exists()
        assert storage.sweep(_later(61)) == 1
        assert not path.exists()

    def test_it_never_touches_a_kept_documents_file(self, case, alice):
        kept = services.attach(case, by=alice, kind="decision", title="Kept", data=png_bytes())
        orphan = _attached_then_rolled_back(case, alice)
        assert storage.sweep(_later(60 * 24 * 365)) == 1
        assert storage.load(kept.pk) == services.clean(png_bytes())[0]
        assert not storage.path_for(orphan.pk).exists()

    def test_it_leaves_files_that_are_not_a_records(self, case, alice, settings):
        services.attach(case, by=alice, kind="decision", title="Kept", data=png_bytes())
        stray = settings.ENGAGE_DOCUMENTS_DIR / "README"
        stray.write_text("an operator's note")
        _age(stray, 600)
        assert storage.sweep(_later(600)) == 0
        assert stray.exists()

    def test_it_deletes_the_file_of_an_upload_rolled_back_and_keeps_a_waiting_ones(
        self, organisation, ada
    ):
        waiting = imports.upload(organisation, by=ada, filename="a.csv", data=b"name\nKept\n")
        with pytest.raises(LetterFailed), transaction.atomic():
            lost = imports.upload(
                organisation, by=ada, filename="b.csv", data=b"name\nSentinelperson\n"
            )
            raise LetterFailed
        assert list(ImportJob.objects.all()) == [waiting]
        assert import_storage.path_for(lost.pk).exists()
        assert import_storage.sweep(_later(30)) == 0
        assert import_storage.sweep(_later(90)) == 1
        assert not import_storage.path_for(lost.pk).exists()
        assert import_storage.load(waiting.pk) == b"name\nKept\n"

    def test_it_runs_with_retention_and_audits_a_count_only(self, case, alice):
        document = _attached_then_rolled_back(case, alice)
        young = _attached_then_rolled_back(case, alice)
        _age(storage.path_for(document.pk), 61)
        apply_retention()
        assert not storage.path_for(document.pk).exists()
        assert storage.path_for(young.pk).exists()
        event = AuditEvent.objects.get(detail__startswith="orphan files")
        assert event.action == AuditEvent.Action.ERASE
        assert event.detail == "orphan files documents:1 imports:0"
        assert event.object_id is None and event.actor_id is None

    def test_it_is_offered_to_operators(self, case, alice):
        document = _attached_then_rolled_back(case, alice)
        _age(storage.path_for(document.pk), 61)
        out = StringIO()
        call_command("sweep_files", stdout=out)
        assert "documents: 1 file(s)" in out.getvalue()
        assert not storage.path_for(document.pk).exists()
        assert sweep_orphan_files() == {"documents": 0, "imports": 0}


class TestDeletedAtOnce:
    def test_it_deletes_the_file_when_the_services_own_block_rolls_back(self, case, alice):
        with pytest.raises(LetterFailed), encrypted_files.atomic():
            document = services.attach(
                case, by=alice, kind="decision", title="SentinelTitle", data=png_bytes()
            )
            assert storage.path_for(document.pk).exists()
            raise LetterFailed
        assert not storage.path_for(document.pk).exists()

    def test_it_deletes_the_pdf_of_a_letter_not_stored(self, case, alice, monkeypatch):
        def audit_failing(*args, **kwargs):
            if isinstance(args[2], liaison.Letter):
                raise LetterFailed
            return real(*args, **kwargs)

        real = liaison.record
        monkeypatch.setattr(liaison, "record", audit_failing)
        with pytest.raises(LetterFailed):
            liaison.save_letter(
                case, by=alice, template=None, title="Release", text="Dear office", language="en"
            )
        assert not Document.objects.exists()
        assert not any(storage.path_for(case.pk).parent.iterdir())

    def test_it_keeps_the_file_of_a_block_that_committed(self, case, alice):
        with encrypted_files.atomic():
            document = services.attach(
                case, by=alice, kind="decision", title="Kept", data=png_bytes()
            )
        assert storage.path_for(document.pk).exists()


@pytest.mark.django_db(transaction=True)
class TestOutermost:
    """The service's block is the whole transaction: no test transaction around it."""

    def test_it_deletes_the_file_of_a_transaction_that_rolled_back(self, case, alice):
        with pytest.raises(LetterFailed), encrypted_files.atomic():
            document = services.attach(
                case, by=alice, kind="decision", title="SentinelTitle", data=png_bytes()
            )
            raise LetterFailed
        assert not Document.objects.exists()
        assert not storage.path_for(document.pk).exists()

    def test_it_keeps_the_file_of_a_committed_document(self, case, alice):
        document = services.attach(case, by=alice, kind="decision", title="Kept", data=png_bytes())
        assert storage.sweep(_later(600)) == 0
        assert storage.load(document.pk) == services.clean(png_bytes())[0]
