"""What browsers tell the operators: reports of Content-Security-Policy violations (R31)."""

import json
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("engage.csp")

MAX_REPORT_BYTES = 10 * 1024

# What is kept of a report: which directive was broken, by what, where. Not the script sample,
# which may quote the page, nor any query string or fragment: a search URL holds the name
# searched for, and logs must hold no personal data (R25).
URI_FIELDS = ("document-uri", "referrer", "blocked-uri", "source-file")
OTHER_FIELDS = (
    "violated-directive",
    "effective-directive",
    "disposition",
    "line-number",
    "column-number",
    "status-code",
)


def _without_query(value: str) -> str:
    parts = urlsplit(value)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def summarise(report: dict[str, Any]) -> dict[str, str]:
    """Return the fields of a `csp-report` worth logging, stripped of anything personal."""
    summary = {name: _without_query(str(report[name])) for name in URI_FIELDS if name in report}
    summary |= {name: str(report[name]) for name in OTHER_FIELDS if name in report}
    return {name: value[:200] for name, value in summary.items()}


# Exempt from CSRF because it cannot be otherwise: the browser itself posts the report, with no
# form and so no token, often from a page whose session has just ended. The view changes
# nothing and stores nothing; it only writes a size-limited, stripped summary to the log.
@csrf_exempt  # nosemgrep: csrf-exempt
@login_not_required
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Log a browser's report of a Content-Security-Policy violation."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    body = request.read(MAX_REPORT_BYTES + 1)
    if len(body) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    try:
        report = json.loads(body)["csp-report"]
        summary = summarise(report)
    except (ValueError, KeyError, TypeError):
        return HttpResponse(status=400)
    logger.warning("Content-Security-Policy violation: %s", json.dumps(summary, sort_keys=True))
    return HttpResponse(status=204)
