"""Optimistic concurrency: detect that a record changed since a form was opened.

Two case managers editing the same record must not silently overwrite each other. Each versioned
model has a `version` column; a save names the version it started from and fails when the row
has moved on. Hand-written because the libraries for this (django-concurrency) patch `save()`
globally, while we want the check explicit in the service that owns the change.
"""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from django import forms
from django.db import IntegrityError, connections, models, transaction
from django.db.models import F
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext_lazy as _

_T = TypeVar("_T")


class ConcurrentEditError(Exception):
    """The record was changed by someone else after the editor loaded it."""

    message = _(
        "Someone else changed this record while you were editing it. Your changes were not "
        "saved: reload the page to see the current version, then make your changes again."
    )


class _Versioned(Protocol):
    version: int


def save_versioned(
    instance: models.Model, *, expected_version: int | None, fields: Iterable[str]
) -> None:
    """Write `fields` of `instance` if its row is still at `expected_version`, else raise.

    No version (None: the editor started before the record existed) matches no row: a conflict.
    """
    values = {name: getattr(instance, name) for name in fields}
    updated = (
        type(instance)
        ._base_manager.filter(pk=instance.pk, version=expected_version)
        .update(version=F("version") + 1, **values)
    )
    if updated != 1 or expected_version is None:
        raise ConcurrentEditError
    # Every model passed here has the `version` column, which `models.Model` does not declare.
    cast(_Versioned, instance).version = expected_version + 1


if TYPE_CHECKING:  # the mixin always comes before `forms.ModelForm`, of any versioned model
    _ModelForm = forms.ModelForm[Any]
else:
    _ModelForm = object


class VersionedFormMixin(_ModelForm):
    """Carry the version the editor started from through a ModelForm, as a hidden field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # UUID keys are set before the first save, so ask Django whether the row exists yet.
        if not self.instance._state.adding:
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=1, initial=self.instance.version
            )

    @property
    def expected_version(self) -> int:
        version: int = self.cleaned_data["version"]
        return version

    def add_conflict_error(self) -> None:
        self.add_error(None, ConcurrentEditError.message)


def created_once(create: Callable[[], _T], *, check: Callable[[], object]) -> _T:
    """Insert a row that a unique constraint guards, in a savepoint of its own. The form's check
    for a clash and the insert are two statements: of two saves of the same at one instant,
    both pass the check and the second meets the constraint. `check` (the check that passed:
    `full_clean`, say) is then run again, and refuses it next to its field as it would have,
    the other row being there now; not a server error. A constraint `check` does not know is
    raised as it was."""
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        check()
        raise


def lock_against_deletion(rows: "models.QuerySet[Any]") -> list[Any]:
    """Return the keys of `rows` as stored, in key order, each row locked until the transaction
    ends against its deletion and against a `select_for_update`, but neither against another
    caller of this nor against an update of its other columns.

    PostgreSQL's FOR KEY SHARE, the lock a foreign key's own check takes: for a row about to be
    referred to (an answer to a field), where the check that it is referred to by nothing must
    wait (deleting the field). `select_for_update` offers only the stronger locks, which would
    make every writer of answers to one field wait for the others. Taken in key order so that
    two callers, or a caller and a `select_for_update` in key order, never wait for each other
    in a circle. SQLite has no row locks and needs none: its writers take turns (the settings'
    IMMEDIATE transactions)."""
    connection = connections[rows.db]
    if connection.get_autocommit():  # as `select_for_update` refuses
        raise TransactionManagementError("a lock outside a transaction ends at once")
    keys = rows.order_by("pk").values_list("pk", flat=True)
    if connection.vendor != "postgresql":
        return list(keys)
    sql, params = keys.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        # The ORM's own query of `rows`' keys (its scope and filters), with the lock it lacks.
        cursor.execute(f"{sql} FOR KEY SHARE", params)  # nosemgrep: raw-sql
        return [key for (key,) in cursor.fetchall()]
