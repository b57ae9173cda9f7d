"""Helpers for the browser tests: a signed-in browser context of a given size, signing in by a
session cookie, and what a page measures on a phone (issues 12 and 13)."""

from django.conf import settings
from django.test import Client

from tests.live_server import TURNS

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 800}
LAPTOP = {"width": 1366, "height": 900}


def _session_cookie(live_server, user) -> dict:
    client = Client()
    with TURNS.held():  # not while a page's request is answered on the same connection
        client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}


def signed_in(browser, live_server, user, *, viewport=PHONE):
    """A browser context of the given size with `user` signed in (no sign-in page, no MFA)."""
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    sign_in(context, live_server, user)
    return context


def sign_in(context, live_server, user):
    """Sign `user` in to the browser context by a session cookie, as someone else if another
    was signed in: the next page it opens is theirs. A new context costs Chromium about a
    fifth of a core-second more than a page opened in one already there (docs/testing.md)."""
    context.add_cookies([_session_cookie(live_server, user)])


def let_in(page, live_server, user, to="/"):
    """Sign `user` in to the page's browser context by a session cookie, as someone else if
    another was signed in, and open `to` (the page a sign-in lands on by default).

    For the tests that are not about signing in: the sign-in page, its form and its redirect
    cost Chromium and the server a quarter of a core-second more (docs/testing.md). The form
    itself is walked through in test_sign_in, test_case_journey, test_session_end,
    test_password_reset, test_no_third_parties and test_offline."""
    sign_in(page.context, live_server, user)
    page.goto(to)


# The page's width against the window's, and every visible control a finger presses (WCAG 2.2,
# 2.5.8): those under 24 by 24 px are listed unless a link sits in a sentence (its height is the
# line's) or the spacing exception holds (a 24 px circle on its centre touches no other target
# nor another small target's circle); the page's main actions (.primary, the menu button) under
# 44 by 44 px are listed too.
TARGETS = """() => {
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  const visible = (element) => {
    if (!element.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
    const box = element.getBoundingClientRect();
    return box.width > 1 && box.height > 1 && box.right > 0 && box.left < innerWidth;
  };
  const describe = (element, box) => `${element.tagName.toLowerCase()}`
    + `${element.className ? "." + String(element.className).trim().split(/\\s+/).join(".") : ""}`
    + ` «${(element.textContent || element.value || element.name || "").replace(/\\s+/g, " ").trim().slice(0, 30)}»`
    + ` ${Math.round(box.width)}x${Math.round(box.height)}`;
  const inSentence = (element) => {
    if (element.tagName !== "A" || getComputedStyle(element).display !== "inline") return false;
    let block = element.parentElement;
    while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
    // Text of the block other than its controls': a row of links and buttons is no sentence.
    const letters = (text) => text.replace(/[\\s\\p{P}\\p{S}]+/gu, "").length;
    const controls = block ? [...block.querySelectorAll("a, button, select, input")] : [];
    const prose = letters(block ? block.textContent : "")
      - controls.reduce((sum, control) => sum + letters(control.textContent || ""), 0);
    return prose >= 3;
  };
  const targets = [...document.body.querySelectorAll(selector)].filter(visible)
    .map((element) => ({element, box: element.getBoundingClientRect()}));
  const centre = (box) => [box.left + box.width / 2, box.top + box.height / 2];
  const distance = ([x, y], box) => Math.hypot(
    Math.max(box.left - x, 0, x - box.right), Math.max(box.top - y, 0, y - box.bottom));
  const small = targets.filter(({box}) => box.width < 23.99 || box.height < 23.99);
  const tooSmall = [];
  for (const target of small) {
    if (inSentence(target.element)) continue;
    const [x, y] = centre(target.box);
    const crowded = targets.some((other) => other !== target
      && !other.element.contains(target.element) && !target.element.contains(other.element)
      && (distance([x, y], other.box) < 12 || (small.includes(other)
        && Math.hypot(x - centre(other.box)[0], y - centre(other.box)[1]) < 24)));
    if (crowded) tooSmall.push(describe(target.element, target.box));
  }
  const primary = targets.filter(({element}) => element.matches(".primary, .menu-button"));
  const sized = targets.filter((target) => !inSentence(target.element));
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth,
    targets: targets.length,
    smallest: sized.length ? Math.min(...sized.map(({box}) => Math.min(box.width, box.height))) : null,
    tooSmall,
    primary: primary.map(({element, box}) => describe(element, box)),
    smallPrimary: primary.filter(({box}) => box.width < 44 || box.height < 44)
      .map(({element, box}) => describe(element, box)),
  };
}"""


def measure(page) -> dict:
    """The page's width and its controls' sizes (see TARGETS)."""
    return page.evaluate(TARGETS)
