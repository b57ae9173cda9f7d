"""The main pages in each of the network's languages, on a 390 px phone (issue 12, item 5):
no English left in the interface, and nothing wider than the screen (long Greek and Polish
words included)."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import polib
import pytest
from django.conf import settings

from engage.cases.factories import CaseFactory, to_active
from tests.browser.phone import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
LOCALES = Path(settings.PACKAGE_DIR) / "locale"

# The visible text of a page, one entry per text node, leaving out text marked as being in
# another language (the language switch names each language in its own), and what overflows.
PAGE_FACTS = """() => {
  const lang = document.documentElement.lang;
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    const element = node.parentElement;
    if (!text || !element || element.closest("script, style, template")) continue;
    const marked = element.closest("[lang]");
    if (marked && marked.lang !== lang) continue;
    if (!element.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    texts.push(text);
  }
  const clipped = (element) => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (!element.checkVisibility()) continue;
    const box = element.getBoundingClientRect();
    if (box.width > 1 && box.right > innerWidth + 1 && !clipped(element)) {
      wide.push(`${element.tagName.toLowerCase()}.${element.className}: ${Math.round(box.right)}px`
        + ` «${(element.textContent || "").trim().slice(0, 40)}»`);
    }
  }
  return {texts, wide, scrollWidth: document.documentElement.scrollWidth, innerWidth};
}"""


def _english_left_over(language: str) -> set[str]:
    """The English msgids that this language translates differently: seen verbatim on a
    page in this language, they are English left in the interface."""
    catalogue = polib.pofile(str(LOCALES / language / "LC_MESSAGES" / "django.po"))
    entries = [entry for entry in catalogue.translated_entries() if not entry.msgid_plural]
    # A word of the language that happens to be English too ("Data", the Italian and Polish
    # for "Date") is not English left over.
    own_words = {" ".join(entry.msgstr.split()) for entry in entries}
    english = {
        " ".join(entry.msgid.split())
        for entry in entries
        if entry.msgstr.strip() != entry.msgid.strip()
        and re.search(r"[A-Za-z]{3}", entry.msgid)
        and "<" not in entry.msgid
    }
    return english - own_words


@pytest.fixture
def journey(organisation, alice, bob):
    case, plan = to_active(
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name="Zofia",
            person__family_name="Wróblewska-Konstantinopoulou",
        ),
        alice,
        bob,
    )
    return case, plan


def _check(page, url, language, english, user_data, problems):
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    # The page itself, not the sign-in page a person not signed in would be sent to.
    assert urlsplit(page.url).path == urlsplit(url).path, f"{url}: opened {page.url}"
    facts = page.evaluate(PAGE_FACTS)
    assert len(facts["texts"]) >= 5, f"{url}: the page shows almost no text"
    assert page.locator("html").get_attribute("lang") == language, url
    left = sorted({text for text in facts["texts"] if text in english} - user_data)
    if left:
        problems.append(f"{language} {url}: English left: {left}")
    if facts["scrollWidth"] > facts["innerWidth"] or facts["wide"]:
        problems.append(
            f"{language} {url}: wider than {facts['innerWidth']}px "
            f"(page {facts['scrollWidth']}px): {facts['wide'][:5]}"
        )


# One test per language (each 15 pages), so the workers share the six between them.
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_pages_speak_each_language_and_fit_a_phone(
    language, browser, live_server, journey, alice, bob, nadia, organisation, team
):
    case, plan = journey
    user_data = {
        str(case.person),
        "Zofia",
        "Wróblewska-Konstantinopoulou",
        "Sofia",
        organisation.name,
        organisation.code,
        team.name,
        "Explore legal stay",
        "See a lawyer",
        str(alice),
        str(bob),
        str(nadia),
        case.reference,
    }
    pages = {
        alice: [
            "/",  # the caseload
            "/cases/",
            case.get_absolute_url(),
            f"/cases/{case.pk}/contacts/new/",
            f"/cases/plans/{plan.pk}/",
            # The rest of the journey, from referral to closure.
            "/cases/new/",
            f"/privacy/cases/{case.pk}/rectify/",
            f"/cases/{case.pk}/assessments/new/",
            f"/cases/{case.pk}/outcome/",
            f"/cases/{case.pk}/close/",
        ],
        bob: ["/mel/pilot/", "/cases/approvals/"],  # the pilot's figures, the approvals
        nadia: ["/mel/network/", "/mel/report/"],  # the coordinator's dashboard and report
    }
    problems = []
    english = _english_left_over(language)
    # One browser for the language, as an office's shared computer: the sign-in page, then each
    # person signed in to it in turn (a context of its own each cost Chromium 0.2 core-seconds).
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale=language)
    page = context.new_page()
    _check(page, "/accounts/login/", language, english, user_data, problems)
    for user, urls in pages.items():
        type(user).objects.filter(pk=user.pk).update(language=language)
        sign_in(context, live_server, user)
        for url in urls:
            _check(page, url, language, english, user_data, problems)
    context.close()
    assert problems == [], "\n".join(problems)
