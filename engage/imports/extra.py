"""Columns that an app above adds to the import: the organisation's own referral fields.

`engage.custom` registers a provider in its `ready()`, so this app does not import it. For an
organisation the provider names its extra fields (`ImportField`s whose name starts with
`PREFIX`), checks each row's cells exactly as the web form would (with the form's messages),
and stores the checked values of the new cases in the import's transaction.
"""

from collections.abc import Sequence
from typing import Any, Protocol

from engage.accounts.models import Organisation, User
from engage.cases.models import Case
from engage.imports.fields import ImportField

PREFIX = "custom."


class Columns(Protocol):
    """A provider's extra fields for one organisation, loaded once per file."""

    specs: list[ImportField]

    def check(
        self, cells: dict[str, Any], *, day_first: bool
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Check one row's cells {field name: cell} of the mapped extra columns, together (a
        field may be asked only given another's answer); return (values to store, problems
        {field name: message})."""
        ...

    def show(self, name: str, value: Any) -> str:
        """A checked value as the preview shows it."""
        ...


class Provider(Protocol):
    def columns(self, organisation: Organisation) -> Columns | None: ...

    def store(
        self,
        organisation: Organisation,
        cases: Sequence[Case],
        values: Sequence[dict[str, Any]],
        *,
        by: User | None,
    ) -> None:
        """Store `values[i]` {field name: checked value} for `cases[i]`."""


_providers: list[Provider] = []


def register(provider: Provider) -> None:
    _providers.append(provider)


def columns_of(organisation: Organisation) -> list[Columns]:
    found = (provider.columns(organisation) for provider in _providers)
    return [columns for columns in found if columns is not None and columns.specs]


def is_extra(name: str) -> bool:
    return name.startswith(PREFIX)


def store(
    organisation: Organisation,
    cases: Sequence[Case],
    values: Sequence[dict[str, Any]],
    *,
    by: User | None,
) -> None:
    if not any(values):
        return
    for provider in _providers:
        provider.store(organisation, cases, values, by=by)
