"""How the audit log names the records it points to, without importing the apps that own them.

Apps to the right of `audit` register a labeller for their object types (cases show their
reference, users their name); the log viewer asks here. A labeller takes the ids of one
organisation's records and returns {id: label}, in one query, never a client's name.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from uuid import UUID

from engage.audit.models import AuditEvent

Labeller = Callable[[UUID, set[UUID]], dict[UUID, str]]

_LABELLERS: dict[str, Labeller] = {}


def register(object_type: str, labeller: Labeller) -> None:
    _LABELLERS[object_type] = labeller


def labels_for(organisation_id: UUID, events: Iterable[AuditEvent]) -> dict[tuple[str, UUID], str]:
    """Return {(object_type, object_id): label} for `events`, one query per object type."""
    wanted: defaultdict[str, set[UUID]] = defaultdict(set)
    for event in events:
        if event.object_id and event.object_type in _LABELLERS:
            wanted[event.object_type].add(event.object_id)
    found: dict[tuple[str, UUID], str] = {}
    for object_type, ids in wanted.items():
        for pk, label in _LABELLERS[object_type](organisation_id, ids).items():
            found[(object_type, pk)] = label
    return found


def kind_of(object_type: str) -> str:
    """The kind of record an event points to, in the reader's words ("import", "case"), from
    its model's own name: the log showed the code ("imports.importjob")."""
    from django.apps import apps

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)
