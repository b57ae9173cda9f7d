"""The people every test can call on, after the style guide.

- alice: a case manager of the Sofia pilot, in Bob's team
- bob: a supervisor of the same organisation, leading Alice's team
- ada: the organisation admin of Alice's and Bob's organisation
- charlie: a case manager of another organisation, who must see nothing of the first
- olga: the organisation admin of Charlie's organisation
- nadia: the network coordinator
"""

import gc
import itertools
import time

import pytest
from django.test.testcases import LiveServerThread
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from engage.accounts.factories import UserFactory
from engage.accounts.models import Role
from tests.live_server import OneRequestAtATimeServer
from tests.worlds import case_manager_alice, nicosia_pilot, sofia_pilot, supervisor_bob, team_led_by

TEST_FIELD_KEY = "dGVzdC1maWVsZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmc="
TEST_INDEX_KEY = "dGVzdC1pbmRleC1rZXktMDEyMzQ1Njc4OWFiY2RlZmc="


# The suite on another day (docs/testing.md, "Another day"): the demo tells its story back from
# today and reports run up to this month, so a bound that holds today can fail on another day
# (CI runs on whatever day it is). ENGAGE_TEST_TODAY=2027-02-28 runs every test of the process
# (and of each xdist worker) on that day, the clock ticking from 11:00 UTC. The journey starts
# when this file is imported, before any other conftest or test module is. No module reads the
# clock at import (tests/test_test_day.py checks it): a run that crosses midnight would test
# the day it started against the code's today. Not the browser tests: Chromium keeps the real
# clock.
TEST_TODAY = "ENGAGE_TEST_TODAY"


def _travel_to_the_test_day():
    """Start the journey to $ENGAGE_TEST_TODAY, for the life of the process; return it (or None
    without the variable)."""
    import datetime
    import os

    day = os.environ.get(TEST_TODAY)
    if not day:
        return None
    import time_machine

    moment = datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time(11), tzinfo=datetime.UTC
    )
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    return traveller


_travel_to_the_test_day()


@pytest.fixture(autouse=True)
def _no_organisation_scope():
    """Let a test's own set-up and checks read every organisation's rows.

    Requests made through the test client or a browser still run in the signed-in user's
    scope (`engage.lib.scoping.OrganisationScopeMiddleware`), which is what the tests check.
    """
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _settings_language_and_time_zone():
    """Each test ends in the settings' language and time zone. A request through the test
    client activates the signed-in person's language (UserLocaleMiddleware, as Django's
    LocaleMiddleware: every request activates its own, none deactivates) in the test's context;
    the next test on the same worker read French labels from code it called directly."""
    yield
    translation.deactivate()
    timezone.deactivate()


# SQLite never gives back the pages a committed DELETE frees (a transactional test's flush): after
# the seeded round trips the in-memory test database held hundreds of megabytes of empty pages,
# which every later backup test copied, encrypted and restored (3-4 s each instead of 0.1 s).
FREE_PAGES_WORTH_A_VACUUM = 2048


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test's own teardown (a transactional test's flush included), give the empty
    pages of the test database back, so the next tests do not carry them."""
    result = yield
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    if (
        connection.vendor == "sqlite"
        and connection.connection is not None
        and not connection.in_atomic_block
        and blocking_manager_key in item.config.stash
    ):
        with item.config.stash[blocking_manager_key].unblock(), connection.cursor() as cursor:
            cursor.execute("PRAGMA freelist_count")
            if cursor.fetchone()[0] > FREE_PAGES_WORTH_A_VACUUM:
                cursor.execute("VACUUM")
    return result


# The longest modules first: the workers take tests in collection order (`make test` runs
# `--dist worksteal`: each starts on its half, and one that is done takes half of what the other
# has left), so a long module collected last (the languages in the browser, the fuzzing) would
# keep one worker busy at the end while the other had nothing left to take. Each run keeps how
# long every module took in pytest's cache (.pytest_cache), which the next run's collection
# reads; a module not timed yet keeps its place.
DURATIONS_KEY = "engage/module-durations"


def pytest_collection_modifyitems(config, items):
    cache = getattr(config, "cache", None)  # none with -p no:cacheprovider
    if cache is None:
        return
    took = cache.get(DURATIONS_KEY, {})
    order = {item: n for n, item in enumerate(items)}
    items.sort(key=lambda item: (-took.get(item.nodeid.split("::")[0], 0.0), order[item]))


def pytest_runtest_logreport(report):
    module = report.nodeid.split("::")[0]
    _module_durations[module] = _module_durations.get(module, 0.0) + report.duration


def pytest_sessionfinish(session):
    # Only where the reports of every worker arrive (the controller, or a run without xdist).
    if (
        getattr(session.config, "cache", None) is None
        or hasattr(session.config, "workerinput")
        or not _module_durations
    ):
        return
    took = session.config.cache.get(DURATIONS_KEY, {})
    took.update({module: round(seconds, 2) for module, seconds in _module_durations.items()})
    session.config.cache.set(DURATIONS_KEY, took)


_module_durations: dict[str, float] = {}


def pytest_configure(config):
    from django.conf import settings

    from tests import sqlite_template

    sqlite_template.install(config.rootpath)

    # Argon2 is deliberately slow; tests only need passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Fixed keys, so no test writes a key file; tests of rotation change them.
    settings.ENGAGE_FIELD_KEYS = [TEST_FIELD_KEY]
    settings.ENGAGE_INDEX_KEY = TEST_INDEX_KEY
    settings.ENGAGE_DEV_KEY_FILE = None


@pytest.fixture
def organisation(db):
    return sofia_pilot()


@pytest.fixture
def other_organisation(db):
    return nicosia_pilot()


@pytest.fixture
def bob(organisation):
    return supervisor_bob(organisation)


@pytest.fixture
def team(organisation, bob):
    return team_led_by(organisation, bob)


@pytest.fixture
def alice(organisation, team):
    return case_manager_alice(organisation, team)


@pytest.fixture
def ada(organisation):
    return UserFactory(
        username="ada", first_name="Ada", role=Role.ORG_ADMIN, organisation=organisation
    )


@pytest.fixture
def charlie(other_organisation):
    return UserFactory(username="charlie", first_name="Charlie", organisation=other_organisation)


@pytest.fixture
def olga(other_organisation):
    return UserFactory(
        username="olga", first_name="Olga", role=Role.ORG_ADMIN, organisation=other_organisation
    )


@pytest.fixture
def nadia(db):
    return UserFactory(username="nadia", first_name="Nadia", network=True)


@pytest.fixture
def as_user(client):
    """Log the test client in as the given user and return it."""

    def login(user):
        client.force_login(user)
        return client

    return login


_stored = itertools.count()


@pytest.fixture(autouse=True)
def _documents_dir(settings, tmp_path_factory):
    """Every test stores attached documents and imported files in a folder of its own, under
    the worker's temporary folder; made by the storage when a test first writes there. Not
    pytest's `tmp_path`, which every test would then make: finding its number lists the folder
    of every earlier test of the worker, a time that grew with the suite (docs/testing.md)."""
    folder = tmp_path_factory.getbasetemp() / "stored" / str(next(_stored))
    settings.ENGAGE_DOCUMENTS_DIR = folder / "documents"
    settings.ENGAGE_IMPORTS_DIR = folder / "imports"


LiveServerThread.server_class = OneRequestAtATimeServer


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started after the test databases are made, so stopped
    before they are dropped.

    On PostgreSQL the server's thread keeps its connection between requests
    (`DATABASE_CONN_MAX_AGE`) until the server stops. Started first (a browser test asks for
    the server before the database), it was stopped after the databases were dropped: the
    browser tests alone on PostgreSQL ended every time with "database test_engage_gw0 is being
    accessed by other users". (The other cause of that warning, a second connection the tests made
    while Playwright's loop ran, is gone: tests/browser/conftest.py.)
    """
    return live_server


@pytest.fixture(scope="session", autouse=True)
def _nothing_left_connected(django_db_setup, django_db_blocker):
    """On PostgreSQL, nothing of the run is still connected to the test database when Django
    drops it (after every other session-wide fixture: the browser, the live server).

    A session left open made the drop fail with "being accessed by other users" and left the
    test databases behind, reported only as a warning. Here it fails the run, and says whose
    session it is. Waited for a few seconds: a server a test stopped may still be leaving."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    others = (
        "SELECT pid, application_name, client_port, state, left(query, 120) FROM"
        " pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    with django_db_blocker.unblock():
        for _attempt in range(50):
            with connection.cursor() as cursor:
                cursor.execute(others)
                left = cursor.fetchall()
            if not left:
                return
            time.sleep(0.1)
    raise AssertionError(f"sessions still on the test database at its end: {left}")


def pytest_collection_finish(session):
    # In each worker, once the tests are collected: the modules, Django and the test items are
    # there for the whole run, so they go out of the collector's sight (`gc.freeze`), and it
    # runs less often (gc.set_threshold: a collection every 50,000 objects made rather than
    # every 700, and a full one more rarely still). Python's defaults walked the same long-lived
    # objects again and again: tests/mel took a tenth more CPU with them (docs/testing.md).
    # Cycles are still collected, later; what a test must see freed it frees itself.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
