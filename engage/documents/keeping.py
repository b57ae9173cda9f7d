"""Which case documents a case worker may not delete, and why (docs/security.md).

A case that is no longer open (closed or declined) keeps its documents: they are the record of
the case as it ended. An app above `documents` may keep some of its own: liaison keeps the PDF
of a letter sent, the record of what went to the authority. It registers a `Keep` in its app's
ready(), so that `documents` does not import it.

Erasure and retention are not refused: the person's data goes, whatever it was. Before one of
its documents goes, each `Keep` lets go of it (`release`), so that the database, which also
refuses to lose what was sent, lets the document be deleted.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q
from django.db.models.expressions import Exists
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from engage.cases.models import Case
from engage.documents.models import Document


@dataclass(frozen=True)
class Keep:
    # The documents kept, as a filter of Document (made at query time: a scoped subquery).
    kept: Callable[[], Q | Exists]
    # Why, in a few words: said instead of the delete button, and as the service's refusal.
    reason: Promise
    # On erasure, what lets go of the document so that it can be deleted.
    release: Callable[[Document], None]


_keeps: list[Keep] = []


def register(keep: Keep) -> None:
    if keep not in _keeps:
        _keeps.append(keep)


def case_reason(case: Case) -> str | None:
    """Why none of the case's documents may be deleted, or None while the case is open."""
    if case.is_open:
        return None
    return _("The case is no longer open: its documents are kept.")


def reasons(documents: Iterable[Document]) -> dict[UUID, str]:
    """Why each of `documents` that an app keeps is kept, by id (one query per `Keep`)."""
    ids = [document.pk for document in documents]
    found: dict[UUID, str] = {}
    if not ids:
        return found
    for keep in _keeps:
        for pk in Document.objects.filter(keep.kept(), pk__in=ids).values_list("pk", flat=True):
            found.setdefault(pk, str(keep.reason))
    return found


def why_kept(document: Document) -> str | None:
    """Why a case worker may not delete `document`, or None if they may."""
    return case_reason(document.case) or reasons([document]).get(document.pk)


def release(document: Document) -> None:
    """Let go of `document` everywhere it is kept, before erasure deletes it."""
    for keep in _keeps:
        keep.release(document)
