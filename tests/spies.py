"""Watching a function a test does not replace: each call recorded, the real one still answering."""

from typing import Any


def calls_of(monkeypatch, owner: Any, name: str) -> list[tuple]:
    """The positional arguments of every call of `owner.name` from here on (a method's own
    object first), the real function still called and its answer given back."""
    calls: list[tuple] = []
    real = getattr(owner, name)

    def recorded(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recorded)
    return calls
