"""Where uploaded spreadsheets wait: encrypted files in the "imports" storage
(`ENGAGE_IMPORTS_DIR` by default), never under the web root, like attached documents (see `lib.encrypted_files`). Deleted when the import is stored
or discarded, and by `engage run_imports` after `ENGAGE_IMPORT_KEEP_DAYS` days."""

from engage.lib.encrypted_files import EncryptedFolder

_files = EncryptedFolder("imports")

path_for = _files.path_for
save = _files.save
load = _files.load
delete = _files.delete
reencrypt_all = _files.reencrypt_all
