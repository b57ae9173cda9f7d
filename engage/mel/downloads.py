"""File responses of the evidence pages: a pilot's network submission and indicator reports.

Why these files do not go through `engage.sharing` (the Semgrep rule `outbound-outside-sharing`
allows this one module by name): the sharing service releases *a person's* data and so needs
that person's consent for the recipient, the purpose and each category. What leaves here is
de-identified by contract, never one person's data: the network dataset (shared/spec/
network-dataset.md: keyed hashes instead of ids, months instead of dates, no names, no free text)
and indicator tables after disclosure control. There is no person whose consent could be checked.
Each export is audited by the service that produced it (`services.export`, and
`services.report_for` for exact figures). Keep this module to building responses: whatever
produces their content belongs in `services.py`.
"""

import tempfile
import zipfile
from pathlib import Path
from typing import Any, TypeVar

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase

from engage.mel import services

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SUBMISSION_FILES = ("cases.csv", "manifest.json")

_Response = TypeVar("_Response", bound=HttpResponseBase)


def _private(response: _Response, filename: str) -> _Response:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def submission_zip(folder: Path, filename: str) -> FileResponse:
    """Stream a .zip of the submission that `services.export` wrote into `folder`.

    The .zip is built in an anonymous temporary file (deleted when the response closes it), so
    memory stays flat in the number of cases.
    """
    archive_file = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    with zipfile.ZipFile(archive_file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in SUBMISSION_FILES:
            archive.write(folder / name, arcname=name)
    archive_file.seek(0)
    response = FileResponse(archive_file, content_type="application/zip")
    return _private(response, filename)


def file(content: bytes, fmt: str, filename: str) -> HttpResponse:
    """Bytes already rendered (an evaluation cycle's comparison, `cycles.comparison_bytes`)."""
    return _private(HttpResponse(content, content_type=CONTENT_TYPES[fmt]), filename)


def report_file(report: dict[str, Any], fmt: str, filename: str) -> HttpResponse:
    """The report as `engage mel_report --format fmt` writes it, as a download."""
    return report_file_bytes(services.report_bytes(report, fmt), fmt, filename)


def report_file_bytes(data: bytes, fmt: str, filename: str) -> HttpResponse:
    """A report's file made already (a kept PDF), as a download."""
    return _private(HttpResponse(data, content_type=CONTENT_TYPES[fmt]), filename)
