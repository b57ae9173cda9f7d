# django_scopes/state.py of django-scopes 2.1: the active scope, a context variable that
# `scope()` sets and puts back (engage.lib.scoping.outside_every_scope sets it directly).
from contextvars import ContextVar
from typing import Any

state: ContextVar[dict[str, Any] | None]
