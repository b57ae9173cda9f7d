"""The pilot's figures of its own fields in Chromium, wide and narrow: the tables fit the
screen, and axe-core (when given: ENGAGE_AXE=path/to/axe.min.js) finds no violation."""

import os
import pathlib

import pytest

from engage.cases.factories import CaseFactory
from engage.custom import services
from tests.browser.phone import let_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("ENGAGE_SCREENSHOTS", "")
AXE = pathlib.Path(os.environ["ENGAGE_AXE"]) if os.environ.get("ENGAGE_AXE") else None


@pytest.mark.parametrize("width", [1366, 390])
def test_the_figures_page_fits_and_is_accessible(
    open_page, live_server, organisation, alice, bob, ada, width
):
    define = services.define_field
    define(
        organisation, by=ada, form="referral", type="choice", key="housing",
        label="Housing at referral", options=["Shelter", "With friends", "Street"],
    )  # fmt: skip
    define(
        organisation, by=ada, form="referral", type="choices", key="needs",
        label="What they need first", options=["Food", "Legal advice", "A doctor"],
    )  # fmt: skip
    define(organisation, by=ada, form="contact", type="yes_no", key="kids", label="Children")
    define(
        organisation, by=ada, form="referral", type="choice", key="faith", label="Faith asked",
        options=["Yes", "No"], sensitive=True,
    )  # fmt: skip
    for number in range(14):
        case = CaseFactory(organisation=organisation, case_manager=alice)
        answers = {
            "housing": "shelter" if number < 10 else "with_friends",
            "needs": ["food"] + (["legal_advice"] if number % 2 else []),
        }
        services.save_values(case, "referral", case.pk, answers, by=alice)
        services.save_values(case, "contact", f"c{number}", {"kids": number < 8}, by=alice)
    page = open_page({"width": width, "height": 900})
    let_in(page, live_server, bob)
    page.get_by_role("link", name="Answers to your own fields").first.click()
    page.wait_for_url("**/settings/fields/figures/")
    body = page.locator("main").inner_text()
    assert "Housing at referral" in body and "What they need first" in body
    assert "not counted here" in body
    assert page.get_by_role("table", name="Children").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"custom-figures-{width}.png"), full_page=True)
    if AXE is not None:
        violations = page.evaluate(
            AXE.read_text() + "\n;axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})"
            ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.length))"
        )
        assert violations == [], violations
