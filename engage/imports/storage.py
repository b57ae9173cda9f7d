"""Where uploaded spreadsheets wait: encrypted files in the "imports" storage
(`ENGAGE_IMPORTS_DIR` by default), never under the web root, like attached documents (see `lib.encrypted_files`). Deleted when the import is stored
or discarded, and by `engage run_imports` after `ENGAGE_IMPORT_KEEP_DAYS` days. A file no
waiting job names (its upload's transaction rolled back) is deleted by `sweep`."""

from engage.imports.models import ImportJob
from engage.lib.encrypted_files import EncryptedFolder

# A job whose file was deleted (stored, discarded, expired, erased) names none.
_files = EncryptedFolder(
    "imports", rows=lambda: ImportJob._base_manager.filter(file_deleted_at__isnull=True)
)

path_for = _files.path_for
save = _files.save
load = _files.load
delete = _files.delete
reencrypt_all = _files.reencrypt_all
sweep = _files.sweep
