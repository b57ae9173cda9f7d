"""The organisation's own records, identifiable, as an encrypted archive for its own use.

This is not a share: the data goes from the organisation (the controller) to the same
organisation, e.g. to move to another system, so there is no recipient whose consent could be
asked. It is still an exit, so it lives here with the other exits (docs/security.md R11): only
the organisation admin, after typing their password again (R20), audited as a high-severity
export, and never in clear.

The archive is a zip encrypted with AES-256 (WinZip's AE-2 format, written by pyzipper), which
7-Zip, Keka, The Unarchiver and PeaZip open without Engage, and `engage decrypt_export` too.
Its passphrase is never chosen by a person: the admin once protected the whole caseload with
`password1234` (issue 10, item 14). `new_passphrase()` draws 28 characters from a 32-letter
alphabet with `secrets` (140 bits), grouped by four to be read aloud or typed from paper; the
page shows it once and Engage keeps it nowhere. With that much chance in the passphrase,
guessing it is out of reach whatever the key derivation (AE-2 uses PBKDF2-SHA1, 1,000 rounds,
fixed by the format, which is why a typed, guessable passphrase cannot be allowed here).

Archives made before (`ENGAGE-EXPORT-1`: scrypt n=2^15 and Fernet) still open with
`engage decrypt_export`; their key derivation is fixed by the file, so `decrypt_legacy` keeps
those parameters for reading only. Nothing is written in that format any more.
"""

import base64
import csv
import datetime
import io
import json
import re
import secrets
import zipfile
from collections.abc import Iterable, Mapping

import pyzipper
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.apps import apps
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from engage.accounts.models import City, Organisation, Team, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases.models import SearchToken
from engage.lib.scoping import organisation_scope
from engage.lib.spreadsheets import neutralise

LEGACY_MAGIC = b"ENGAGE-EXPORT-1\n"
# Crockford's base 32 in lower case: no i, l, o, u, so nothing to mistake when read aloud.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
GROUPS, GROUP_SIZE = 7, 4  # 28 characters of 5 bits: 140 bits
PASSPHRASE = re.compile(
    rf"^[{ALPHABET}]{{{GROUP_SIZE}}}(-[{ALPHABET}]{{{GROUP_SIZE}}}){{{GROUPS - 1}}}$"
)
# The apps whose records are the organisation's case files (and the answers to its own fields,
# with their definitions). Search tokens are keyed hashes, of no use outside this instance; the
# change history holds ciphertext only.
APPS = ("cases", "sharing", "documents", "custom")
EXCLUDED = {SearchToken}
USER_FIELDS = ["id", "username", "first_name", "last_name", "email", "role", "is_active"]


class WrongPassphrase(ValueError):
    pass


def new_passphrase() -> str:
    """A passphrase of 140 random bits, as seven groups of four letters and digits."""
    letters = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_SIZE))
    return "-".join(letters[i : i + GROUP_SIZE] for i in range(0, len(letters), GROUP_SIZE))


def is_generated(passphrase: str) -> bool:
    return bool(PASSPHRASE.match(passphrase))


def encrypt(files: dict[str, bytes], passphrase: str) -> bytes:
    """A zip of `files`, each encrypted with AES-256 under the passphrase (WinZip AE-2)."""
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=zipfile.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as zipped:
        zipped.setpassword(passphrase.encode())
        zipped.setencryption(pyzipper.WZ_AES, nbits=256)
        for path, content in files.items():
            zipped.writestr(path, content)
    return buffer.getvalue()


def decrypt(data: bytes, passphrase: str) -> dict[str, bytes]:
    """Every file of an export, by path; either format. Raise WrongPassphrase."""
    if data.startswith(LEGACY_MAGIC):
        with zipfile.ZipFile(io.BytesIO(decrypt_legacy(data, passphrase))) as zipped:
            return {name: zipped.read(name) for name in zipped.namelist()}
    try:
        with pyzipper.AESZipFile(io.BytesIO(data)) as zipped:
            zipped.setpassword(passphrase.strip().encode())
            return {name: zipped.read(name) for name in zipped.namelist()}
    except zipfile.BadZipFile:
        raise WrongPassphrase("This is not an Engage export.") from None
    except RuntimeError:  # pyzipper's "Bad password for file"
        raise WrongPassphrase("Wrong passphrase, or a damaged file.") from None


def decrypt_legacy(data: bytes, passphrase: str) -> bytes:
    """The zip inside an archive of the first format (scrypt n=2^15, r=8, p=1 and Fernet):
    those parameters are the file's, kept to read old archives, never to write."""
    salt, _, token = data[len(LEGACY_MAGIC) :].partition(b"\n")
    kdf = Scrypt(salt=base64.b64decode(salt), length=32, n=2**15, r=8, p=1)
    key = base64.urlsafe_b64encode(kdf.derive(passphrase.encode()))
    try:
        return Fernet(key).decrypt(token)
    except InvalidToken:
        raise WrongPassphrase("Wrong passphrase, or a damaged file.") from None


def exported_models() -> list[type[models.Model]]:
    """The organisation-scoped models of the case-file apps, in a stable order."""
    return sorted(
        (
            model
            for name in APPS
            for model in apps.get_app_config(name).get_models()
            if hasattr(model._default_manager, "with_scopes_disabled") and model not in EXCLUDED
        ),
        key=lambda model: model._meta.label,
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv(names: list[str], rows: Iterable[Mapping[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        # Formula-like text behind a quote, so no spreadsheet runs it (docs/security.md, 9).
        writer.writerow([neutralise(_cell(row[name])) for name in names])
    return out.getvalue().encode("utf-8-sig")  # a BOM, so that Excel reads UTF-8


def _model_rows(model: type[models.Model]) -> tuple[list[str], list[dict[str, object]]]:
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    rows = []
    # Its only manager, `objects` (every one of Engage's models has that one only). A model may
    # keep rows out (`own_export_excluded`: the sensitive answers, which the admin may not read).
    excluded = getattr(model, "own_export_excluded", None)
    rows_of = model._default_manager.exclude(excluded() if excluded else models.Q())
    # Or keep them with some fields left empty (`OWN_EXPORT_BLANK`: a sensitive contact's note).
    condition, blanked = getattr(model, "OWN_EXPORT_BLANK", ({}, ()))
    blank = set(rows_of.filter(**condition).values_list("pk", flat=True)) if blanked else set()
    for obj in rows_of.order_by("pk").iterator(chunk_size=1000):
        row = {}
        for field in fields:
            value = getattr(obj, field.attname)
            row[field.attname] = getattr(value, "code", value)  # countries as their code
        if obj.pk in blank:
            row.update(dict.fromkeys(blanked, ""))
        rows.append(row)
    return names, rows


def archive(organisation: Organisation) -> tuple[dict[str, bytes], dict[str, int]]:
    """Every record of the organisation: one CSV per kind, and a manifest, by path."""
    counts: dict[str, int] = {}
    files: dict[str, bytes] = {}
    with organisation_scope(organisation.pk):
        staff = User.objects.filter(organisation=organisation).order_by("username")
        tables: dict[str, tuple[list[str], Iterable[Mapping[str, object]]]] = {
            "accounts/users.csv": (USER_FIELDS, staff.values(*USER_FIELDS)),
            "accounts/teams.csv": (
                ["id", "name", "leader_id"],
                Team.objects.filter(organisation=organisation).values("id", "name", "leader_id"),
            ),
            "accounts/cities.csv": (
                ["id", "name"],
                City.objects.filter(organisation=organisation).values("id", "name"),
            ),
        }
        for model in exported_models():
            tables[f"{model._meta.app_label}/{model._meta.model_name}.csv"] = _model_rows(model)
        for path, (names, rows) in tables.items():
            listed = list(rows)
            counts[path] = len(listed)
            files[path] = _csv(names, listed)
    manifest = {
        "organisation": organisation.code,
        "name": organisation.name,
        "exported_at": timezone.now().isoformat(),
        "files": counts,
        "note": "Ids are Engage's; a column ending in _id names a row of another file. "
        "Attached document files are not included, only their descriptions. Answers to "
        "fields marked sensitive, and those given on a contact marked sensitive, are not "
        "included (custom/customvalue.csv): only the case's own case manager and supervisor "
        "read them. A cell that a spreadsheet would read as "
        "a formula starts with a single quote.",
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    return files, counts


def export_own_records(
    organisation: Organisation, *, by: User, passphrase: str, request: HttpRequest | None = None
) -> bytes:
    """Build, encrypt and audit the export; the caller sends the bytes to the admin.

    `passphrase` must come from `new_passphrase()`: a chosen one is refused."""
    if not is_generated(passphrase):
        raise ValueError("The passphrase of an export is generated by new_passphrase().")
    files, counts = archive(organisation)
    record(
        by,
        AuditEvent.Action.EXPORT,
        organisation,
        detail=f"own_records:{sum(counts.values())}",
        request=request,
        high_severity=True,
    )
    return encrypt(files, passphrase)
