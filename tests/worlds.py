"""Data made once for a module or a class of tests instead of once for each test
(docs/testing.md, "Habits for new tests").

`kept` holds a transaction open for as long as the fixture that enters it: what the fixture
makes inside it is there for each test, which runs in a savepoint of it (pytest-django's usual
rollback, so a test's own changes are undone after it as always), and the whole is rolled back
when the fixture ends. Only for tests without `transaction=True`, whose database is emptied
instead. A test that must find the database without that data (one counting every row of a
table) belongs outside the fixture's scope: a class of its own, or another module.
"""

import contextlib
from collections.abc import Iterator
from typing import Any, TypeVar

from django.db import models, transaction
from django_scopes import scopes_disabled

from engage.accounts.factories import CityFactory, OrganisationFactory, TeamFactory, UserFactory
from engage.accounts.models import Role

M = TypeVar("M", bound=models.Model)


@contextlib.contextmanager
def kept(django_db_blocker: Any) -> Iterator[None]:
    """What is made inside, kept for every test until the end of the fixture (above)."""
    with django_db_blocker.unblock(), scopes_disabled(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def sofia_pilot() -> Any:
    """The Sofia pilot's organisation, with its city (the `organisation` of tests/conftest.py)."""
    organisation = OrganisationFactory(code="BG-CLA", country="BG", name="Sofia pilot")
    CityFactory(organisation=organisation, name="Sofia")
    return organisation


def nicosia_pilot() -> Any:
    """The other pilot's organisation, with its city (`other_organisation`)."""
    organisation = OrganisationFactory(code="CY-CYRC", country="CY", name="Nicosia pilot")
    CityFactory(organisation=organisation, name="Nicosia")
    return organisation


def supervisor_bob(organisation: Any) -> Any:
    return UserFactory(
        username="bob", first_name="Bob", role=Role.SUPERVISOR, organisation=organisation
    )


def team_led_by(organisation: Any, bob: Any) -> Any:
    """The Sofia team, led by Bob, who is in it."""
    team = TeamFactory(organisation=organisation, name="Sofia", leader=bob)
    bob.team = team
    bob.save(update_fields=["team"])
    return team


def case_manager_alice(organisation: Any, team: Any) -> Any:
    return UserFactory(username="alice", first_name="Alice", organisation=organisation, team=team)


def sofia() -> dict[str, Any]:
    """The Sofia pilot of tests/conftest.py made at once: its organisation and city, and Bob
    leading the team Alice is in."""
    organisation = sofia_pilot()
    bob = supervisor_bob(organisation)
    team = team_led_by(organisation, bob)
    alice = case_manager_alice(organisation, team)
    return {"organisation": organisation, "team": team, "bob": bob, "alice": alice}


def fresh(obj: M) -> M:
    """`obj` read again from the database, so what a test changes of it in memory stays in that
    test."""
    return type(obj)._default_manager.get(pk=obj.pk)
