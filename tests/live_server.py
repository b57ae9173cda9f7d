"""The live test server of the browser tests (`tests/conftest.py` makes it Django's), and the
lock a test takes to write to the database while the server answers nothing."""

import threading

from django.core.servers.basehttp import WSGIServer

# Held by the server while Django answers a request. A test that writes to the database while its
# pages may still be sending (a sign-in by cookie after a page was opened: tests/browser/phone.py)
# holds it too: on SQLite the server answers on the test's own connection, and a connection's
# transaction is one, whichever thread runs in it.
ANSWERING = threading.Lock()


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
        # The lock is held while Django answers a request that has arrived, not while the
        # server waits for one to arrive: a connection the browser opened ahead and has not
        # used yet would otherwise hold it until the browser's next request, which the test
        # waiting for the lock would never make. (A streamed body is still sent after it.)
        def answering(environ, start_response):
            with ANSWERING:
                return application(environ, start_response)

        super().set_app(answering)
