"""Model fields whose values are encrypted in the database (see `engage.lib.crypto`).

They behave like Django's own fields in forms and in Python; in the database they are `text`
columns of Fernet tokens. Empty values stay empty, so "blank or not" is visible; nothing else
is. A filter on such a field compares against a fresh random ciphertext and matches nothing:
search goes through the blind index instead (`cases.models.SearchToken`).
"""

import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Combinable, Expression

from engage.lib import crypto

if TYPE_CHECKING:
    # Django's field classes cannot be subscripted at run time, so only the checker reads the
    # types each field takes and gives (django-stubs' "non-generic subclass" of a field). Every
    # encrypted date is nullable (a date of birth may be unknown); the texts are not.
    _CharField = models.CharField[str | Combinable, str]
    _TextField = models.TextField[str | Combinable, str]
    _EmailField = models.EmailField[str | Combinable, str]
    _DateField = models.DateField[str | datetime.date | Combinable | None, datetime.date | None]
else:
    _CharField, _TextField = models.CharField, models.TextField
    _EmailField, _DateField = models.EmailField, models.DateField


class EncryptedMixin:
    """Mixed in before a Django field class: its value is stored encrypted."""

    encrypted = True

    if TYPE_CHECKING:  # the Django field's

        def get_prep_value(self, value: Any) -> Any: ...

    def get_internal_type(self) -> str:
        return "TextField"

    # The values are a field's own (a text, a date): `Any` as in Django's Field.
    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(self.to_text(value))

    # `expression` and `connection` unused: the backup's smoke check passes None for both.
    def from_db_value(
        self,
        value: str | None,
        expression: Expression | None,
        connection: BaseDatabaseWrapper | None,
    ) -> Any:
        if value is None or value == "":
            return value
        return self.from_text(crypto.decrypt(value))


class EncryptedCharField(EncryptedMixin, _CharField):
    """A CharField (max_length still checked in forms), stored encrypted in a text column."""


class EncryptedFromClearCharField(EncryptedCharField):
    """An EncryptedCharField whose column held clear text before a migration encrypted it
    (`cases.Case.interpreter_language`). During a rolling upgrade (docs/deployment.md) a
    machine still on the version before writes clear text after the migration ran: such a
    value, which is not a Fernet token at all, is read as it is, and encrypted when it is next
    saved or by `engage rotate_keys`. A token that does not decrypt still raises, as for every
    encrypted field (a key missing from ENGAGE_FIELD_KEYS)."""

    def from_db_value(
        self,
        value: str | None,
        expression: Expression | None,
        connection: BaseDatabaseWrapper | None,
    ) -> Any:
        if value and not crypto.is_token(value):
            return value
        return super().from_db_value(value, expression, connection)


class EncryptedTextField(EncryptedMixin, _TextField):
    pass


class EncryptedEmailField(EncryptedMixin, _EmailField):
    pass


class EncryptedDateField(EncryptedMixin, _DateField):
    def get_prep_value(self, value: Any) -> datetime.date | None:
        day: datetime.date | None = self.to_python(value)
        return day

    def to_text(self, value: datetime.date) -> str:
        return value.isoformat()

    def from_text(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)
