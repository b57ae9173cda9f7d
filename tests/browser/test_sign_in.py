import pytest
from django.conf import settings
from django.test import override_settings
from playwright.sync_api import expect

from tests.sqlite_template import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_takes_a_demo_case_manager_through_sign_in_language_and_sign_out(page):
    # The demo as `make demo` seeds it, with the password the README prints: the one the round
    # trips seed, on SQLite kept and copied (tests.sqlite_template.seed_demo), where seeding a
    # demo of its own took 2.9 s of CPU. DEBUG only while seeding (seed_demo refuses to run on
    # a production instance): the live server answers as in production.
    with override_settings(DEBUG=True):
        seed_demo(cases_per_pilot=40)

    page.goto("/")
    page.get_by_label("Username").fill("bg-cla-cm1")
    page.get_by_label("Password").fill(settings.ENGAGE_DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("heading", name="My caseload").wait_for()
    assert "Elena Demo" in page.locator(".whoami").inner_text()
    assert page.locator("main table tbody tr").count() >= 1  # her demo caseload
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Dashboard").is_visible()
    assert nav.get_by_role("link", name="Users").count() == 0

    # Choosing a language is enough: its button is there only for pages without JavaScript.
    # The heading can show before the deferred script has run (the click does not wait for the
    # page's load), so the check waits for the script to hide the button.
    expect(page.get_by_role("button", name="Change language")).to_be_hidden()
    page.select_option("#language-select", "fr")
    page.get_by_role("heading", name="Mes dossiers").wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("heading", name="Se connecter à Engage").wait_for()
    assert "/accounts/login/" in page.url
