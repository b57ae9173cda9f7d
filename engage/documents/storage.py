"""Where document bytes live: encrypted files in the "documents" storage (`ENGAGE_DOCUMENTS_DIR`
by default, or object storage: `lib.encrypted_files`), never under the web root; each holds the
cleaned bytes of one document. A file no document names (its transaction rolled back) is
deleted by `sweep`."""

from engage.documents.models import Document
from engage.lib.encrypted_files import EncryptedFolder

_files = EncryptedFolder("documents", rows=lambda: Document._base_manager.all())

path_for = _files.path_for
save = _files.save
load = _files.load
delete = _files.delete
reencrypt_all = _files.reencrypt_all
sweep = _files.sweep
