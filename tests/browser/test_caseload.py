"""The caseload in Chromium, on a laptop and on a phone: its order, its columns, its filters."""

import os
import re

import pytest
from playwright.sync_api import expect

from engage.accounts.factories import UserFactory
from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from tests.browser.phone import LAPTOP, PHONE, let_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ENGAGE_SCREENSHOTS")  # a folder, to look at the pages afterwards


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _clients(page):
    """The clients' given names, in the order of the table on the page."""
    cells = page.locator("table.caseload tbody tr td:first-child a")
    return [text.split()[0] for text in cells.all_inner_texts()]


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def caseload(organisation, alice, bob):
    """Alice's clients: a mix of risks and paperwork, built by hand."""

    def client(name, **fields):
        return CaseFactory(
            organisation=organisation, case_manager=alice, person__given_name=name,
            person__family_name="Browsertest", **fields,
        )  # fmt: skip

    def contact(case, days, **fields):
        data = {"date": days_ago(days), "type": "phone", **fields}
        services.log_contact(case, by=alice, data=data)

    for name, days in (("Zora", 30), ("Yusuf", 20), ("Xenia", 2)):
        contact(client(name), days)
    paula, plan = to_active(client("Paula"), alice, bob)  # paperwork: review and reassessment
    contact(paula, 1)
    type(plan).objects.filter(pk=plan.pk).update(approved_at=plan.approved_at.replace(year=2020))
    dana, _plan = to_active(client("Dana"), alice, bob)
    contact(dana, 3, engagement_level="disengaged")
    weekly = client("Wanda")
    contact(weekly, 9)
    services.set_contact_interval(weekly, by=alice, days=7, expected_version=weekly.version)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
def test_a_case_manager_sorts_the_caseload_and_follows_the_contact_filter(
    open_page, live_server, viewport, alice, caseload
):
    page = open_page(viewport)
    width = viewport["width"]
    let_in(page, live_server, alice)
    page.get_by_role("heading", name="My caseload").wait_for()
    # Risks first, most overdue first: Zora 16 days, Yusuf 6, Wanda 2 days past her weekly
    # contact, Dana disengaged (to act on today); then Paula's paperwork; Xenia: nothing due.
    assert _clients(page) == ["Zora", "Yusuf", "Wanda", "Dana", "Paula", "Xenia"]
    assert page.get_by_text("Contact due · overdue by 16 days").is_visible()
    assert page.get_by_text("Client disengaged · since").is_visible()
    _fits(page, width)
    _shot(page, f"caseload-{width}-ranked")

    page.get_by_role("link", name="Last contact").click()
    page.wait_for_url("**/?sort=last_contact")
    assert _clients(page) == ["Zora", "Yusuf", "Wanda", "Dana", "Xenia", "Paula"]
    page.get_by_role("link", name="Last contact").click()
    page.wait_for_url("**/?sort=-last_contact")
    assert _clients(page) == ["Paula", "Xenia", "Dana", "Wanda", "Yusuf", "Zora"]
    _fits(page, width)
    _shot(page, f"caseload-{width}-last-contact-reversed")
    page.get_by_role("link", name="Next contact due").click()
    page.wait_for_url("**/?sort=next_contact")
    assert _clients(page)[:3] == ["Zora", "Yusuf", "Wanda"]
    page.get_by_role("link", name="Show the most urgent first").click()
    page.get_by_text("6 open cases, the most urgent first.").wait_for()
    assert _clients(page)[0] == "Zora"

    page.get_by_role("link", name="Contact overdue: 3").click()
    page.wait_for_url("**/cases/?due=contact")
    page.get_by_role("heading", name="Cases").wait_for()
    assert _clients(page) == ["Zora", "Yusuf", "Wanda"]
    _fits(page, width)
    _shot(page, f"caseload-{width}-contact-overdue")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
def test_a_supervisor_filters_by_case_manager_and_follows_a_chip(
    open_page, live_server, viewport, organisation, alice, bob, team, caseload
):
    amira = UserFactory(username="amira", first_name="Amira", organisation=organisation, team=team)
    CaseFactory(organisation=organisation, case_manager=amira, person__given_name="Wafa",
                referral_date=days_ago(40))  # fmt: skip
    page = open_page(viewport)
    width = viewport["width"]
    let_in(page, live_server, bob)
    page.get_by_role("heading", name="My teams").wait_for()
    # The teams' overview names no client; a caseload opens in place when asked for (htmx).
    assert _clients(page) == []
    page.get_by_role("link", name="Show the caseload").first.click()
    page.locator(f"#caseload-{alice.pk}").wait_for()
    assert _clients(page)[:2] == ["Zora", "Yusuf"] and "manager=" not in page.url
    # htmx gives the focus to the opened caseload once it has settled. (Asked through a locator:
    # wait_for_function evaluates its text with eval, which the page's policy refuses.)
    expect(page.locator(f"#caseload-{alice.pk} > summary")).to_be_focused()
    page.get_by_label("Case manager").select_option(label=str(alice))
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/?manager={alice.pk}")
    assert _clients(page)[:2] == ["Zora", "Yusuf"] and "Wafa" not in _clients(page)
    page.get_by_role("link", name="Stage").click()
    page.wait_for_url(re.compile(r"sort=stage"))
    assert "manager=" in page.url and "Wafa" not in _clients(page)
    _fits(page, width)
    _shot(page, f"supervisor-{width}-one-manager")
    page.locator(".caseload-summary").get_by_role("link", name="Contact overdue: 3").click()
    page.wait_for_url("**/cases/?due=contact&case_manager=*")
    assert _clients(page) == ["Zora", "Yusuf", "Wanda"]
    _fits(page, width)
    _shot(page, f"supervisor-{width}-chip-list")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
def test_a_case_manager_sets_a_clients_contact_interval_on_the_case_page(
    open_page, live_server, viewport, alice, caseload
):
    page = open_page(viewport)
    width = viewport["width"]
    let_in(page, live_server, alice)
    page.get_by_role("link", name="Xenia Browsertest").click()
    page.get_by_text("Contact every 14 days (the organisation's interval)").wait_for()
    assert page.get_by_text("due in 12 days").first.is_visible()
    page.get_by_text("Change how often").click()
    page.get_by_label("Contact the client").select_option("custom")
    page.get_by_label("Number of days").fill("1")
    _shot(page, f"case-{width}-interval-form")
    page.locator("#contact-interval").get_by_role("button", name="Save").click()
    page.get_by_text("The contact interval was saved.").wait_for()
    assert page.get_by_text("Contact every 1 day", exact=False).is_visible()
    assert page.get_by_text("Contact due · overdue by 1 day").is_visible()
    _fits(page, width)
    _shot(page, f"case-{width}-interval-saved")
    page.goto("/")
    assert _clients(page)[2:5] == ["Wanda", "Xenia", "Dana"]  # overdue by 1 day: a risk now
