"""A mark that changes whenever any record about a case or a person changes, for whoever keeps
figures computed from them (a finished report served again, `mel.runs`) to know they are stale.

`cases` cannot read it itself: the app that sees every write registers it (the change history,
whose database triggers write a row for each insert, update and delete of a case's records;
`history` registers in its `ready()`). Without a registered source the mark is new on each call,
so nothing computed from cases is ever taken as current.
"""

import uuid
from collections.abc import Callable

_SOURCE: list[Callable[[], str]] = []


def register(source: Callable[[], str]) -> None:
    """Set the function giving the current mark (one source: the change history)."""
    _SOURCE[:] = [source]


def current() -> str:
    """The mark of the case records as they are now; equal marks, unchanged records."""
    if not _SOURCE:
        return f"unknown-{uuid.uuid4()}"
    return _SOURCE[0]()
