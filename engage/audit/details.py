"""An audit entry's detail in the reader's words, for the shapes the services write most.

The detail itself is a machine string ("stage=active", "identity; type=health", "role:a>b")
kept exactly as written: the log is hash-chained, and the page shows it beside this reading.
What is read here is bounded and honest: a detail is read only when every part of it is one
of the shapes below, with values the record's model knows (its fields' names and choices,
already translated); anything else gets no reading, and the page shows the code alone.

  - a code of its own ("api_token_revoked", "step_up"), from CODES;
  - `field=value`: a field of the record with choices, or true/false ("active=False", and
    "in_use", "out_of_use" as the same);
  - `field:old>new` (roles and access), and `old>new` on a stage change: the field's
    choices, or yes/no on a true/false field;
  - `field,field,...`: the names of fields the record has ("Fields: Name, City").
"""

import re
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.audit.models import AuditEvent

CODES: dict[str, Promise] = {
    "identity": gettext_lazy("the recipient's name or kind changed"),
    # Signing in again before a sensitive step, succeeded or failed (the action says which).
    "step_up": gettext_lazy("“Confirm it is you” check"),
    "unknown username": gettext_lazy("Unknown username"),
    "api_token_created": gettext_lazy("API token created"),
    "api_token_revoked": gettext_lazy("API token revoked"),
    "mfa_enrolled": gettext_lazy("Two-step verification set up"),
    "mfa_reset": gettext_lazy("Two-step verification reset"),
    "webauthn_enrolled": gettext_lazy("Security key added"),
    "webauthn_removed": gettext_lazy("Security key removed"),
}
# Codes that mean what CODES says on one kind of record only.
ONLY_ON = {"identity": "sharing.recipient"}
# A record put in or out of use, as the sharing services write it: its `active` field.
IN_USE = {"in_use": "active=True", "out_of_use": "active=False"}
# A true/false value as the services write it: "active=False", "is_active:yes>no".
YES_NO = {"yes": True, "no": False, "True": True, "False": False}

_NAME = r"[a-z][a-z0-9_]*"
_SETTING = re.compile(rf"^({_NAME})=(\w+)$")
_CHANGE = re.compile(rf"^(?:({_NAME}):)?(\w+)>(\w+)$")
_FIELDS = re.compile(rf"^{_NAME}(?:,{_NAME})*$")

Model = type[models.Model] | None


def _model(object_type: str) -> Model:
    try:
        return apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        return None


def _field(model: Model, name: str) -> "models.Field[Any, Any] | None":
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) and field.concrete else None


def _pair(label: object, value: str) -> str:
    return _("%(label)s: %(value)s") % {"label": capfirst(str(label)), "value": value}


def _value(field: "models.Field[Any, Any]", value: str) -> str | None:
    """`value` as the reader knows it: its choice's label, or yes/no; None if neither."""
    if field.choices:
        return next((str(label) for key, label in field.flatchoices if str(key) == value), None)
    if isinstance(field, models.BooleanField) and value in YES_NO:
        return _("yes") if YES_NO[value] else _("no")
    return None


def _read_piece(piece: str, model: Model, action: str) -> str | None:
    if piece in CODES:
        if piece in ONLY_ON and (model is None or model._meta.label_lower != ONLY_ON[piece]):
            return None
        return str(capfirst(str(CODES[piece])))
    if match := _SETTING.match(IN_USE.get(piece, piece)):
        name, value = match.groups()
        field = _field(model, name)
        shown = _value(field, value) if field else None
        return _pair(field.verbose_name, shown) if field and shown else None
    if match := _CHANGE.match(piece):
        name, before, after = match.groups()
        # A bare "old>new" is a stage change, nothing else.
        if name is None and action != AuditEvent.Action.TRANSITION:
            return None
        field = _field(model, name or "stage")
        old = _value(field, before) if field else None
        new = _value(field, after) if field else None
        return _pair(field.verbose_name, f"{old} → {new}") if field and old and new else None
    return None


def _read_part(part: str, model: Model, action: str) -> str | None:
    if _FIELDS.match(part):
        fields = [_field(model, name) for name in part.split(",")]
        if all(fields):
            return _pair(_("Fields"), ", ".join(capfirst(str(f.verbose_name)) for f in fields if f))
        if "," not in part:
            return _read_piece(part, model, action)
        return None
    # "role:a>b,is_active:yes>no": each change read, or none.
    pieces = [_read_piece(piece, model, action) for piece in part.split(",")]
    return "; ".join(piece for piece in pieces if piece) if all(pieces) else None


def readable(event: AuditEvent) -> str:
    """The detail of `event` in the reader's language, or "" when it is not a shape read here."""
    if not event.detail:
        return ""
    model = _model(event.object_type)
    parts = [_read_part(part, model, event.action) for part in event.detail.split("; ")]
    return "; ".join(part for part in parts if part) if all(parts) else ""
