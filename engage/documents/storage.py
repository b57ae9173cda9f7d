"""Where document bytes live: encrypted files in `ENGAGE_DOCUMENTS_DIR`, never under the web
root (see `lib.encrypted_files`); each holds the cleaned bytes of one document."""

from engage.lib.encrypted_files import EncryptedFolder

_files = EncryptedFolder("ENGAGE_DOCUMENTS_DIR")

path_for = _files.path_for
save = _files.save
load = _files.load
delete = _files.delete
reencrypt_all = _files.reencrypt_all
