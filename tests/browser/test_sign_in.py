import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_takes_a_demo_case_manager_through_sign_in_language_and_sign_out(page, settings):
    settings.ENGAGE_DEMO_PASSWORD = "browser-demo-password"
    call_command("seed_demo", force=True, cases_per_pilot=10, verbosity=0)

    page.goto("/")
    page.get_by_label("Username").fill("bg-cla-cm1")
    page.get_by_label("Password").fill("browser-demo-password")
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
