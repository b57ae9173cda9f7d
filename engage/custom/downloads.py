"""The one response that carries an organisation's configuration out of Engage.

The configuration holds what an admin typed to set the pilot up (fields, options, criteria,
intervals, model letters), never a person, a case or an answer (`config.export`; the sentinel
test in tests/custom/test_configuration.py), so no consent applies; each export is audited.
"""

import json

from django.http import HttpResponse
from django.utils import timezone

from engage.accounts.http import organisation_of
from engage.accounts.models import User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.custom import config


def configuration(user: User) -> HttpResponse:
    """The organisation's configuration as a JSON file to download, audited."""
    organisation = organisation_of(user)
    document = config.export(organisation)
    record(user, AuditEvent.Action.EXPORT, organisation, detail="configuration")
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    name = f"engage-configuration-{organisation.code}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
