"""Real-browser tests: Playwright driving Debian's Chromium against a live test server."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

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


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the Django test database is
    # still used synchronously, so tell Django that is intended.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 800})
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
    context.close()
    assert outside == [], f"the page asked for something outside Engage: {outside}"


@pytest.fixture
def open_page(browser, live_server):
    """A page of the given size; fails the test if it asks for anything outside Engage."""
    contexts, outside = [], []

    def opener(viewport):
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        # The first page of a fresh live server can be slow on a loaded machine.
        page.set_default_timeout(30_000)
        page.on(
            "request",
            lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
        )
        return page

    yield opener
    for context in contexts:
        context.close()
    assert outside == [], outside
