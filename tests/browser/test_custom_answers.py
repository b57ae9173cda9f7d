"""The case page with an organisation's own answers, in Chromium, wide and narrow."""

import os

import pytest

from engage.cases import services as cases
from engage.cases.factories import CaseFactory, days_ago, to_screening
from engage.custom import services
from tests.browser.phone import let_in

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("ENGAGE_SCREENSHOTS", "")
HOUSING = "Where the client was housed on the day the referral reached the programme"


@pytest.mark.parametrize("width", [1366, 390])
def test_the_case_page_shows_the_answers_and_fits(
    open_page, live_server, organisation, alice, ada, width
):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    to_screening(case, alice)
    housing = services.define_field(
        # As long as a pilot's own labels get (the demo's Sofia pilot has one in Bulgarian):
        # the case's facts must still fit a phone.
        organisation, by=ada, form="referral", type="choice", label=HOUSING,
        options=["Shelter", "With friends"],
    )  # fmt: skip
    story = services.define_field(
        organisation, by=ada, form="contact", type="long_text", label="What changed since last time",
    )  # fmt: skip
    services.save_values(case, "referral", case.pk, {housing.key: "with_friends"}, by=alice)
    contact = cases.log_contact(
        case, by=alice, data={"date": days_ago(1), "type": "phone", "engagement_level": "active"}
    )
    long_answer = "Moved to a room near the station; " * 6
    services.save_values(case, "contact", contact.pk, {story.key: long_answer}, by=alice)
    page = open_page({"width": width, "height": 900})
    let_in(page, live_server, alice, to=f"/cases/{case.pk}/")
    body = page.locator("main").inner_text()
    assert HOUSING in body and "With friends" in body
    assert "What changed since last time: Moved to a room" in body
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"custom-answers-{width}.png"), full_page=True)
