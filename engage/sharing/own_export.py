"""The organisation's own records, identifiable, as an encrypted archive for its own use.

This is not a share: the data goes from the organisation (the controller) to the same
organisation, e.g. to move to another system, so there is no recipient whose consent could be
asked. It is still an exit, so it lives here with the other exits (docs/security.md R11): only
the organisation admin, after typing their password again (R20), audited as a high-severity
export, and never in clear: the archive is encrypted with a passphrase the admin types.

Why a passphrase, and this format: the admin chooses a secret they can pass on by another
channel, nothing secret is shown on screen or stored by Engage, and the cryptography is the
`cryptography` library's (scrypt to derive a key from the passphrase, Fernet — AES-128-CBC with
HMAC-SHA256 — to encrypt), already used for the fields at rest, so no new dependency. The
price is a format of our own: `engage decrypt_export` (or the few lines of Python in
docs/import.md) opens it. A zip with AES encryption would open in common tools, but needs a
less well kept library, and ZipCrypto, which they all open, is broken.
"""

import base64
import csv
import datetime
import io
import json
import os
import zipfile

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

MAGIC = b"ENGAGE-EXPORT-1\n"
MIN_PASSPHRASE = 12
# The apps whose records are the organisation's case files. Search tokens are keyed hashes,
# of no use outside this instance; the change history holds ciphertext only.
APPS = ("cases", "sharing", "documents")
EXCLUDED = {SearchToken}
USER_FIELDS = ["id", "username", "first_name", "last_name", "email", "role", "is_active"]


class WrongPassphrase(ValueError):
    pass


def _key(passphrase: str, salt: bytes) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1)
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode()))


def encrypt(data: bytes, passphrase: str) -> bytes:
    salt = os.urandom(16)
    token = Fernet(_key(passphrase, salt)).encrypt(data)
    return MAGIC + base64.b64encode(salt) + b"\n" + token


def decrypt(data: bytes, passphrase: str) -> bytes:
    if not data.startswith(MAGIC):
        raise WrongPassphrase("This is not an Engage export.")
    salt, _, token = data[len(MAGIC) :].partition(b"\n")
    try:
        return Fernet(_key(passphrase, base64.b64decode(salt))).decrypt(token)
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


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv(names: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row[name]) for name in names])
    return out.getvalue().encode("utf-8-sig")  # a BOM, so that Excel reads UTF-8


def _model_rows(model) -> tuple[list[str], list[dict]]:
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    rows = []
    for obj in model.objects.all().order_by("pk").iterator(chunk_size=1000):
        row = {}
        for field in fields:
            value = getattr(obj, field.attname)
            row[field.attname] = getattr(value, "code", value)  # countries as their code
        rows.append(row)
    return names, rows


def archive(organisation: Organisation) -> tuple[bytes, dict[str, int]]:
    """The zip of every record of the organisation: one CSV per kind, and a manifest."""
    counts: dict[str, int] = {}
    buffer = io.BytesIO()
    with (
        organisation_scope(organisation.pk),
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped,
    ):
        staff = User.objects.filter(organisation=organisation).order_by("username")
        files = {
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
            names, rows = _model_rows(model)
            files[f"{model._meta.app_label}/{model._meta.model_name}.csv"] = (names, rows)
        for path, (names, rows) in files.items():
            rows = list(rows)
            counts[path] = len(rows)
            zipped.writestr(path, _csv(names, rows))
        manifest = {
            "organisation": organisation.code,
            "name": organisation.name,
            "exported_at": timezone.now().isoformat(),
            "files": counts,
            "note": "Ids are Engage's; a column ending in _id names a row of another file. "
            "Attached document files are not included, only their descriptions.",
        }
        zipped.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return buffer.getvalue(), counts


def export_own_records(
    organisation: Organisation, *, by: User, passphrase: str, request: HttpRequest | None = None
) -> bytes:
    """Build, encrypt and audit the export; the caller sends the bytes to the admin."""
    data, counts = archive(organisation)
    record(
        by,
        AuditEvent.Action.EXPORT,
        organisation,
        detail=f"own_records:{sum(counts.values())}",
        request=request,
        high_severity=True,
    )
    return encrypt(data, passphrase)
