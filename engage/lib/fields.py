"""Model fields whose values are encrypted in the database (see `engage.lib.crypto`).

They behave like Django's own fields in forms and in Python; in the database they are `text`
columns of Fernet tokens. Empty values stay empty, so "blank or not" is visible; nothing else
is. A filter on such a field compares against a fresh random ciphertext and matches nothing:
search goes through the blind index instead (`cases.models.SearchToken`).
"""

import datetime

from django.db import models

from engage.lib import crypto


class EncryptedMixin:
    encrypted = True

    def get_internal_type(self) -> str:
        return "TextField"

    def to_text(self, value) -> str:
        return str(value)

    def from_text(self, text: str):
        return text

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(self.to_text(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self.from_text(crypto.decrypt(value))


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField (max_length still checked in forms), stored encrypted in a text column."""


class EncryptedTextField(EncryptedMixin, models.TextField):
    pass


class EncryptedEmailField(EncryptedMixin, models.EmailField):
    pass


class EncryptedDateField(EncryptedMixin, models.DateField):
    def get_prep_value(self, value):
        return self.to_python(value)

    def to_text(self, value: datetime.date) -> str:
        return value.isoformat()

    def from_text(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)
