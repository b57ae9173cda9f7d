"""Send this pilot's network submission to the hub over HTTPS (`engage submit_dataset --hub`).

What is sent is the export the organisation admin downloads (`services.export`: de-identified
by contract, k-protected, audited as an export), zipped, to `POST /api/v1/submissions/` of the
hub with a submission token the network coordinator made there for this pilot. The Semgrep rule
`outbound-outside-sharing` allows this module by name, for the same reason as `downloads.py`:
no person's data leaves here, so there is no consent to check.
"""

import json
import secrets
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engage.accounts.models import Organisation
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.mel import services

# Plain http only to this machine (a test's live server, a tunnel): anything else is HTTPS.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
PATH = "/api/v1/submissions/"
TIMEOUT_SECONDS = 120


class HubRefused(Exception):
    """The address cannot be used (not HTTPS), or the hub could not be reached."""


@dataclass
class Verdict:
    status: int
    body: dict[str, Any]

    @property
    def accepted(self) -> bool:
        return self.status == 201


def endpoint(hub: str) -> str:
    """The hub's upload address; refuse anything but HTTPS, except to this machine."""
    parts = urllib.parse.urlsplit(hub.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise HubRefused(f"{hub!r} is not an https:// address")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise HubRefused("The hub must be reached over https:// (http only to localhost).")
    base = parts.path.rstrip("/")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, base + PATH, "", ""))


def submit(organisation: Organisation, period_end: str, *, hub: str, token: str) -> Verdict:
    """Export the organisation's submission and send it to `hub`; return the hub's verdict."""
    address = endpoint(hub)
    with tempfile.TemporaryDirectory(prefix="engage-submit-") as folder:
        manifest = services.export(organisation, Path(folder) / "submission", period_end)
        archive = Path(folder) / "submission.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            for name in ("cases.csv", "manifest.json"):
                zipped.write(Path(folder) / "submission" / name, arcname=name)
        body, content_type = _multipart(archive.read_bytes(), f"{organisation.code}.zip")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked by `endpoint`)
        address,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type,
                 "Accept": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        ) as response:
            verdict = Verdict(response.status, _json(response.read()))
    except urllib.error.HTTPError as refused:
        verdict = Verdict(refused.code, _json(refused.read()))
    except (urllib.error.URLError, OSError) as error:
        raise HubRefused(f"The hub could not be reached: {error}") from None
    record(None, AuditEvent.Action.EXPORT, organisation, organisation_id=organisation.pk,
           detail=f"network dataset {period_end}, {manifest['rows']} rows, sent to "
           f"{urllib.parse.urlsplit(address).netloc}: {verdict.status}")  # fmt: skip
    return verdict


def _json(data: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"error": {"code": "not_json", "message": data[:200].decode(errors="replace")}}
    return answer if isinstance(answer, dict) else {"answer": answer}


def _multipart(data: bytes, filename: str) -> tuple[bytes, str]:
    boundary = "engage-" + secrets.token_hex(16)
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="submission"; filename="{filename}"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )
