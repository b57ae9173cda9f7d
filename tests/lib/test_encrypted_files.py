"""Documents and uploaded spreadsheets go through the storage `settings.STORAGES` names
(lib.encrypted_files, docs/deployment.md): a folder by default, object storage by
configuration, encrypted before they leave the process either way."""

import uuid

import pytest
from django.core.files.storage import storages

from engage.documents import storage as documents
from engage.imports import storage as imports
from engage.lib import crypto
from tests.conftest import TEST_FIELD_KEY

IN_MEMORY = {"BACKEND": "django.core.files.storage.InMemoryStorage"}


@pytest.fixture
def elsewhere(settings):
    """Another storage than a folder of this machine: Django's in memory one, standing in for
    django-storages' S3 (which is configured the same way, by ENGAGE_FILE_STORAGE)."""
    settings.STORAGES = settings.STORAGES | {"documents": IN_MEMORY, "imports": IN_MEMORY}
    return storages["documents"]


def test_it_keeps_a_document_encrypted_in_the_configured_storage(elsewhere, settings):
    record = uuid.uuid4()
    documents.save(record, b"%PDF-1.4 a letter from the asylum office")
    with elsewhere.open(record.hex) as file:
        kept = file.read()
    assert b"asylum office" not in kept and crypto.decrypt_bytes(kept).endswith(b"office")
    assert documents.load(record) == b"%PDF-1.4 a letter from the asylum office"
    assert not (settings.ENGAGE_DOCUMENTS_DIR / record.hex).exists()  # nothing left locally
    documents.delete(record)
    assert not elsewhere.exists(record.hex)


def test_it_reencrypts_the_configured_storages_files_under_their_own_names(elsewhere, settings):
    records = [uuid.uuid4(), uuid.uuid4()]
    for record in records:
        documents.save(record, record.bytes)
    new = crypto.new_field_key()
    try:
        settings.ENGAGE_FIELD_KEYS = [new, TEST_FIELD_KEY]
        crypto.reset_keys()
        assert documents.reencrypt_all() == 2
        settings.ENGAGE_FIELD_KEYS = [new]  # the old key is gone
        crypto.reset_keys()
        assert sorted(elsewhere.listdir("")[1]) == sorted(r.hex for r in records)
        assert [documents.load(r) for r in records] == [r.bytes for r in records]
    finally:
        settings.ENGAGE_FIELD_KEYS = [TEST_FIELD_KEY]
        crypto.reset_keys()


def test_its_default_folder_replaces_a_file_whole_and_lists_no_half_written_one(settings):
    record = uuid.uuid4()
    imports.save(record, b"first")
    imports.save(record, b"second")
    folder = settings.ENGAGE_IMPORTS_DIR
    (folder / f"{uuid.uuid4().hex}.part").write_bytes(b"half")
    (folder / f".{uuid.uuid4().hex}.x1y2z3").write_bytes(b"being written")
    assert imports.load(record) == b"second"
    assert storages["imports"].listdir("")[1] == [record.hex]
    assert imports.path_for(record) == (folder / record.hex).resolve()
