"""The live server and a browser test take turns on the database they share
(`tests.live_server.TURNS`): the pages' requests are answered while the test waits on the
browser, never while it writes its own rows."""

import time

import pytest
from django.db import transaction

from engage.cases.factories import CaseFactory
from tests.browser.phone import let_in
from tests.live_server import TURNS

pytestmark = pytest.mark.browser

# A page that asks the server every few milliseconds, as the service worker, htmx and the
# kept-forms notice do now and then.
BUSY = """window.answers = 0;
window.asking = setInterval(() => fetch('/health/').then(() => window.answers++), 20)"""


def _answers_reach(page, count):
    """Wait on the browser (the server's turns) until the page has had `count` answers."""
    for _ in range(500):
        if page.evaluate("window.answers") >= count:
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"the page had {page.evaluate('window.answers')} answers, not {count}")


def test_it_answers_no_page_while_the_test_writes_and_every_page_while_it_waits(
    page, live_server, alice
):
    let_in(page, live_server, alice, to="/health/")
    page.evaluate(BUSY)
    _answers_reach(page, 3)

    before = TURNS.answered
    with transaction.atomic():
        case = CaseFactory(organisation=alice.organisation, case_manager=alice)
        time.sleep(0.3)  # the page asks about fifteen times meanwhile
        assert TURNS.answered == before
    assert TURNS.answered == before

    _answers_reach(page, page.evaluate("window.answers") + 10)
    assert TURNS.answered >= before + 10
    page.evaluate("clearInterval(window.asking)")
    page.goto(f"/cases/{case.pk}/")
    # The row the test wrote is there for the server once the test's transaction ended.
    assert case.reference in page.get_by_role("heading", level=1).inner_text()


def test_an_event_handler_takes_the_database_back_for_its_block(page, live_server, alice):
    # Playwright runs a page's event handlers while the test waits on the browser, that is
    # while the test lends the database: a handler's own writes take it back.
    let_in(page, live_server, alice, to="/health/")
    page.evaluate(BUSY)
    _answers_reach(page, 3)
    answered_meanwhile = []

    def handler(response):
        if answered_meanwhile:
            return
        with TURNS.held():
            before = TURNS.answered
            time.sleep(0.2)  # the page asks about ten times meanwhile
            answered_meanwhile.append(TURNS.answered - before)

    page.on("response", handler)
    _answers_reach(page, page.evaluate("window.answers") + 10)
    page.evaluate("clearInterval(window.asking)")
    assert answered_meanwhile == [0]
