"""A contact logged with the next appointment, then found in My week, on a laptop and a phone."""

import datetime
import os

import pytest
from django.utils import timezone

from engage.cases.factories import CaseFactory
from engage.cases.models import Appointment
from tests.browser.phone import LAPTOP, PHONE, let_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ENGAGE_SCREENSHOTS")  # a folder, to look at the pages afterwards


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
def test_a_contact_with_the_next_appointment_shows_in_my_week(
    open_page, live_server, viewport, organisation, alice
):
    case = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name="Amina",
        person__family_name="Weektest",
    )
    width, name = viewport["width"], f"{viewport['width']}px"
    in_two_days = timezone.localdate() + datetime.timedelta(days=2)
    page = open_page(viewport)
    let_in(page, live_server, alice, to=case.get_absolute_url())
    quick = page.locator("#quick-contact")
    quick.get_by_label("Type").select_option("face_to_face")
    next_part = quick.get_by_role("group", name="Next appointment (optional)")
    next_part.get_by_label("Next appointment on").fill(in_two_days.isoformat())
    next_part.get_by_label("Time").fill("10:30")
    next_part.get_by_label("Kind of appointment").select_option("home_visit")
    next_part.get_by_label("Place").fill("Community centre, room 3")
    _shot(page, f"agenda-{name}-1-contact-form")
    quick.get_by_role("button", name="Log contact").click()
    card = page.locator("#appointments")
    card.get_by_text("Home visit").first.wait_for()
    appointment = Appointment.objects.get()
    assert (appointment.date, appointment.time) == (in_two_days, datetime.time(10, 30))
    assert case.contacts.count() == 1
    assert "10:30" in card.inner_text() and "Community centre, room 3" in card.inner_text()
    _fits(page, width)
    _shot(page, f"agenda-{name}-2-case-page")

    if width < 600:
        # On a phone the main navigation is behind the header's menu button.
        page.get_by_text("Menu", exact=True).click()
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My week").click()
    else:
        page.get_by_role("link", name="My week").click()
    page.get_by_role("heading", name="My week", level=1).wait_for()
    day = page.locator(f"section:has(time[datetime='{in_two_days.isoformat()}'])")
    item = day.locator("li.agenda-appointment")
    assert "10:30" in item.inner_text()
    assert "Home visit" in item.inner_text() and "Amina Weektest" in item.inner_text()
    assert "Community centre, room 3" in item.inner_text()
    # Today comes first, even with nothing planned.
    first = page.locator("section.agenda-day").first
    assert "Today" in first.inner_text()
    _fits(page, width)
    _shot(page, f"agenda-{name}-3-my-week")

    page.get_by_role("link", name="In my phone's calendar").click()
    page.get_by_text("A phone's calendar is outside the firewall.").wait_for()
    _fits(page, width)
    _shot(page, f"agenda-{name}-4-calendar")
