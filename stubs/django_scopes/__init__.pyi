# Types of the part of django-scopes 2.1 that Engage uses (engage/lib/scoping.py); the package
# ships none. Checked against django_scopes/state.py and manager.py of that release.
from contextlib import _GeneratorContextManager
from typing import Any

from django.db import models

version: str

class ScopeError(Exception): ...

# A manager of a class made at run time, subclassing `_manager_class`.
def ScopedManager(
    _manager_class: type[models.Manager[Any]] = ..., **scopes: str
) -> models.Manager[Any]: ...

# Context managers that also decorate a function (`@scopes_disabled()` on a command's handle).
def scope(**scope_kwargs: object) -> _GeneratorContextManager[None]: ...
def scopes_disabled() -> _GeneratorContextManager[None]: ...
def get_scope() -> dict[str, Any]: ...
