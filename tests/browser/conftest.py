"""Real-browser tests: Playwright driving Debian's Chromium against a live test server."""

import http.client
import os
import re
import shutil
import urllib.parse

import pytest
from django.db import connections

from tests.live_server import TURNS

# Debian's chromium-headless-shell (the old headless mode, what Playwright itself runs headless)
# when installed: the same Blink, without the full browser's UI layers, and about 40% less CPU
# for the same tests (docs/testing.md). Otherwise the full browser; ENGAGE_CHROMIUM=path chooses.
CHROMIUM = (
    os.environ.get("ENGAGE_CHROMIUM")
    or shutil.which("chromium-headless-shell")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)

# The flags this sandbox needs: no GPU, no sandbox as root, and no calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="Chromium is not installed (Debian: apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


# On a failure, what each page of the test showed: a screenshot and its HTML, in
# $ENGAGE_BROWSER_ARTIFACTS (CI uploads it) or pytest's tmp dir; with that variable set, a
# Playwright trace of each context too (`playwright show-trace <file>`).
ARTIFACTS = os.environ.get("ENGAGE_BROWSER_ARTIFACTS")
FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


def _keep_artifacts(request, tmp_path_factory, contexts):
    """Save a trace of each context, and on failure its pages' screenshots and HTML."""
    failed = request.node.stash.get(FAILED, False)
    folder = None
    if failed:
        name = re.sub(r"[^\w.-]", "_", request.node.nodeid)[-120:]
        base = ARTIFACTS or str(tmp_path_factory.getbasetemp())
        folder = os.path.join(base, "browser-failures", name)
        os.makedirs(folder, exist_ok=True)
    for n, context in enumerate(contexts):
        if folder:
            for m, page in enumerate(context.pages):
                try:
                    page.screenshot(path=os.path.join(folder, f"{n}-{m}.png"), full_page=True)
                    with open(os.path.join(folder, f"{n}-{m}.html"), "w") as out:
                        out.write(f"<!-- {page.url} -->\n" + page.content())
                except Exception as error:  # the page may be gone; keep what can be kept
                    print(f"could not keep page {n}-{m}: {error}")
        if ARTIFACTS:
            try:
                context.tracing.stop(
                    path=os.path.join(folder, f"{n}-trace.zip") if folder else None
                )
            except Exception as error:
                print(f"could not keep the trace of context {n}: {error}")
    if folder:
        print(f"browser artifacts of the failure: {folder}")


def _start_tracing(context):
    if ARTIFACTS:
        context.tracing.start(screenshots=True, snapshots=True, sources=False)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the Django test database is
    # still used synchronously, so tell Django that is intended.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    # While Playwright's event loop runs in this thread, Django keeps its connections per
    # context, not per thread (asgiref's Local takes the thread for an async one): without a
    # word, the tests after this fixture started would use connections of their own. On SQLite
    # that is a second connection to the in-memory test database, beside the one the live
    # server shares when it was started before the browser (a test of the API's hub does):
    # the test and a request still being answered then locked each other's tables ("database
    # table is locked: django_session" at a sign-in, once in CI). On PostgreSQL it stayed open
    # and the test database could not be dropped ("being accessed by other users"). So the
    # thread keeps the connections it had, which Django closes as usual (tests/conftest.py
    # checks on PostgreSQL that nothing is left connected; `_live_server_done` that the tests
    # and the live server share the in-memory database's one connection).
    kept = {alias: connections[alias] for alias in connections}
    TURNS.lend_while_playwright_waits()
    with sync_playwright() as playwright:
        for alias, connection in kept.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _live_server_done(browser, live_server, _django_db_helper):
    """Before a browser test: on SQLite, the test uses the in-memory database's connection the
    live server shares (see `browser`), and takes its turn on it (`tests.live_server.TURNS`):
    the server answers the pages only while the test waits on the browser, never while the
    test writes its own rows. After it, before its database is emptied: close what it left
    open, then wait for the live server to have answered everything the browser sent.

    A page can still be sending when its test ends (the service worker's status, htmx, a
    closing context's last requests). The live server answers one request after another on the
    test's own connection (`tests/conftest.py`), so a request answered while the tables were
    being emptied made the emptying fail ("database table is locked"), left the rows for the
    next test (a unique city refused at its setup), and the requests after it found the
    database closed. A request of our own, answered in turn, comes after every earlier one.
    (Autouse: set up before `page` and `open_page`, so it runs after they have closed theirs;
    on `_django_db_helper`, so before the tables are emptied.)
    """
    for alias, shared in live_server.thread.connections_override.items():
        assert connections[alias] is shared, (
            f"the test and the live server use two connections to {alias!r}"
        )
    with TURNS.held():
        yield
        for context in list(browser.contexts):
            context.close()
    address = urllib.parse.urlsplit(live_server.url)
    server = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    server.request("GET", "/health/")
    server.getresponse().read()  # answered, whatever the answer: all this waits for
    server.close()


@pytest.fixture
def page(browser, live_server, request, tmp_path_factory):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 800})
    _start_tracing(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    yield page
    _keep_artifacts(request, tmp_path_factory, [context])
    context.close()
    assert outside == [], f"the page asked for something outside Engage: {outside}"


@pytest.fixture
def open_page(browser, live_server, request, tmp_path_factory):
    """A page of the given size; fails the test if it asks for anything outside Engage."""
    contexts, outside = [], []

    def opener(viewport):
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        contexts.append(context)
        _start_tracing(context)
        page = context.new_page()
        # The first page of a fresh live server can be slow on a loaded machine.
        page.set_default_timeout(30_000)
        page.on(
            "request",
            lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
        )
        return page

    yield opener
    _keep_artifacts(request, tmp_path_factory, contexts)
    for context in contexts:
        context.close()
    assert outside == [], outside
