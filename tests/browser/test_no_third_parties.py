"""No request leaves Engage from the browser (R13): a case manager's everyday pages ask only the
server they came from, for every script, style sheet, image, font and form post."""

from urllib.parse import urlsplit

import pytest

from engage.cases.factories import CaseFactory
from tests.browser.test_case_journey import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_asks_nothing_of_any_host_but_engage(browser, live_server, alice, organisation):
    case = CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Amal")
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        _sign_in(page, "alice")  # the sign-in page, its post and the dashboard
        page.get_by_role("heading", name="My caseload").wait_for()
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
        page.get_by_role("link", name="Amal").first.click()
        page.get_by_role("heading", name="Amal").first.wait_for()
        page.goto(f"/privacy/cases/{case.pk}/rectify/")
        page.get_by_label("Phone").fill("+359 888 000 111")
        page.get_by_role("button", name="Save").click()
        page.locator(".message.success").wait_for()
    finally:
        context.close()

    server = urlsplit(live_server.url)
    kinds = {urlsplit(url).path.rsplit(".", 1)[-1] for url in requests}
    assert {"css", "js"} <= kinds  # the page's own assets were requested and seen here
    pages = {urlsplit(url).path for url in requests}
    assert {"/", "/cases/", f"/cases/{case.pk}/", f"/privacy/cases/{case.pk}/rectify/"} <= pages
    elsewhere = [
        url
        for url in requests
        if (urlsplit(url).scheme, urlsplit(url).netloc) != (server.scheme, server.netloc)
    ]
    assert elsewhere == []
