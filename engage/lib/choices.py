"""`get_FOO_display()` that translates the label it gives, not every label of the field.

Django's `Model._get_FIELD_display` builds a dict from `make_hashable(field.flatchoices)`:
hashing each `(value, label)` pair hashes the label, and a lazy label is translated to be
hashed. So `contact.get_type_display()` translated all five contact types to give one, and
the case page spent 367 of its 762 translations there (a timeline of 20 events), the case
list nine a row for its stage. Django has no setting for it, and no library we know of
changes it; hence here, for Engage's own models only.

`display_label` gives the same text as Django's: the values are made hashable as Django makes
them (a JSON field's list of choices), the labels left as they are until the one given is
turned into text. The choices are read at each call, never kept: a field whose labels are
translated when its choices are read (a country's name) is right in every language.
`install` puts it in place of Django's method on each model that has Django's, after the
models are ready (Django binds the method to each field when the model class is made, so
replacing `Model._get_FIELD_display` itself would change nothing). A model's own
`get_FOO_display` is left alone.
"""

from collections.abc import Iterable
from functools import partialmethod
from typing import Any

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


def display_label(instance: models.Model, field: models.Field[Any, Any]) -> Any:
    value = getattr(instance, field.attname)
    labels = {make_hashable(choice): label for choice, label in field.flatchoices}
    return force_str(labels.get(make_hashable(value), value), strings_only=True)


def _is_djangos(method: object) -> bool:
    return (
        isinstance(method, partialmethod) and method.func is models.Model._get_FIELD_display  # type: ignore[attr-defined]
    )


def install(model_classes: Iterable[type[models.Model]]) -> int:
    """Give every field with choices of `model_classes` `display_label` as its
    `get_FOO_display`, where Django's own is there; return how many."""
    installed = 0
    for model in model_classes:
        for field in model._meta.get_fields():
            if not isinstance(field, models.Field) or not field.choices:
                continue
            name = f"get_{field.name}_display"
            if _is_djangos(model.__dict__.get(name)):
                setattr(model, name, partialmethod(display_label, field=field))
                installed += 1
    return installed
