"""The live test server of the browser tests (`tests/conftest.py` makes it Django's), and the
turns the server and a browser test take on the database they share (`TURNS`)."""

import contextlib
import threading
from collections.abc import Iterator

from django.core.servers.basehttp import WSGIServer


class Turns:
    """Whose turn it is on the test database: the live server's or the browser test's.

    On SQLite the server answers on the test's own connection to the in-memory database, and
    a connection's transaction is one, whichever thread runs in it: a test writing its rows
    (a factory, a service, a sign-in by cookie) while a page's request was being answered
    hung, the test's insert and the request's read each waiting in SQLite for the other
    (`tests/browser/test_turns.py`, played without the turns), or found a table locked. So the
    browser test holds the database (`held`) from its start, and lends it (`lent`) only while
    it waits on the browser, which is when the pages' requests need answering: the server
    answers each request in its turn (`answering`), and a request that arrives while the test
    works waits until the test next waits on the browser.

    Playwright's sync API lends it whenever it waits on the browser
    (`lend_while_playwright_waits`); anything else a browser test would wait on the server
    with must lend it too. The tests that use the live server without a browser (the hub's)
    hold nothing: the server answers them whenever they ask.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: threading.Thread | None = None
        self._lending = False
        self.answered = 0  # requests answered so far (tests/browser/test_turns.py)

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """The server's turn, while Django answers one request."""
        with self._lock:
            try:
                yield
            finally:
                self.answered += 1

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """The test's turn, from here to the end of the block, but while it lends it. Nested
        (a sign-in by cookie inside a test that holds it already), it is the outer one's; in
        one of Playwright's event handlers, which run while the test lends it, it is taken
        back for the block."""
        if self._holder is threading.current_thread():
            if not self._lending:
                yield
                return
            with self._lock:
                yield
            return
        self._lock.acquire()
        self._holder = threading.current_thread()
        try:
            yield
        finally:
            self._holder = None
            self._lending = False
            self._lock.release()

    @contextlib.contextmanager
    def lent(self) -> Iterator[None]:
        """The server's turns, while the test that holds the database waits on the browser or
        the server. Anywhere else (another thread, a test holding nothing, already lent inside
        a Playwright call's event handler) it changes nothing."""
        if self._holder is not threading.current_thread() or self._lending:
            yield
            return
        self._lending = True
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._lending = False

    def lend_while_playwright_waits(self) -> None:
        """Lend the database whenever Playwright's sync API waits on the browser.

        Each call (a click, a `goto`, an `expect`, a `with page.expect_response()` block)
        runs Playwright's event loop in `wait_for_future` until the browser answers, and the
        browser may be waiting on the server meanwhile. Playwright has no hook for this, so
        the function its sync API calls is wrapped, once."""
        from playwright._impl import _sync_base

        original = _sync_base.wait_for_future
        if getattr(original, "lends", False):
            return
        turns = self

        def wait_for_future(*args, **kwargs):
            __tracebackhide__ = True
            with turns.lent():
                return original(*args, **kwargs)

        wait_for_future.lends = True
        _sync_base.wait_for_future = wait_for_future


TURNS = Turns()


class OneRequestAtATimeServer(WSGIServer):
    """The live test server, answering one request after another.

    Django's live server shares the test's one SQLite connection (an in-memory database) with
    every request thread of its threaded server. A page that sends requests side by side (the
    offline service worker's status and key, htmx, the kept-forms notice) then had two threads
    executing on that one connection at once: "database table is locked" errors, and once a run
    that waited forever. Answered in turn (Django closes each connection of a server without
    threads, so a browser's kept-alive connection holds nothing up), the requests see the same
    database as before; PostgreSQL runs get the same server, so both suites behave alike.
    """

    def __init__(self, *args, connections_override=None, **kwargs):
        # The live server thread itself applies `connections_override` before serving.
        super().__init__(*args, **kwargs)

    def set_app(self, application):
        # A turn is taken while Django answers a request that has arrived, not while the
        # server waits for one to arrive: a connection the browser opened ahead and has not
        # used yet would otherwise hold it until the browser's next request, which the test
        # waiting for its turn would never make. (A streamed body is still sent after it.)
        def answering(environ, start_response):
            with TURNS.answering():
                return application(environ, start_response)

        super().set_app(answering)
