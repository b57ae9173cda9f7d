"""Every type of an organisation's own field, in Chromium: the case manager logs a contact
with one field of each type, is stopped by a number out of its bounds (nothing saved), then
reads each answer back on the case page as it is shown."""

import pytest

from engage.cases.factories import CaseFactory, to_screening
from engage.cases.models import Contact
from engage.custom import services
from engage.custom.models import CustomValue
from engage.directory.factories import ServiceFactory
from tests.browser.phone import let_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_fills_and_shows_a_field_of_each_type(open_page, live_server, ada, alice, organisation):
    ServiceFactory(organisation=organisation, name="Zz Red Cross shelter")
    ServiceFactory(organisation=organisation, name="Zz Legal clinic")

    def define(type, label, **settings):
        services.define_field(
            organisation, by=ada, form="contact", type=type, label=label, **settings
        )

    define("short_text", "Zz Where they sleep")
    define("long_text", "Zz What changed")
    define("number", "Zz Nights without shelter", min_value=0, max_value=31)
    define("date", "Zz Next court date")
    define("yes_no", "Zz Has a lawyer")
    define("choice", "Zz Main worry", options=["Housing", "Papers", "Health"])
    define("choices", "Zz Languages spoken", options=["Arabic", "Dari", "French"])
    define("service", "Zz Referred to")
    case = to_screening(CaseFactory(organisation=organisation, case_manager=alice), alice)
    contacts_before = Contact.objects.filter(case=case).count()

    page = open_page({"width": 1366, "height": 900})
    let_in(page, live_server, alice, to=f"/cases/{case.pk}/contacts/new/")
    form = page.locator("main form")
    form.locator("#id_type").select_option("phone")
    form.get_by_label("Engagement seen").select_option("active")
    form.get_by_label("Zz Where they sleep").fill("Zz Under the bridge")
    form.get_by_label("Zz What changed").fill("Zz Lost the room at the hostel")
    form.get_by_label("Zz Nights without shelter").fill("40")
    form.get_by_label("Zz Next court date").fill("2027-03-15")
    form.get_by_role("group", name="Zz Has a lawyer").get_by_label("Yes").check()
    form.get_by_role("group", name="Zz Main worry").get_by_label("Papers").check()
    languages = form.get_by_role("group", name="Zz Languages spoken")
    languages.get_by_label("Arabic").check()
    languages.get_by_label("French").check()
    form.get_by_label("Zz Referred to").select_option(label="Zz Legal clinic")
    form.get_by_role("button", name="Save").click()

    # The number out of its bounds: its error beside it, and nothing saved.
    error = page.locator("#id_custom_zz_nights_without_shelter_error")
    error.wait_for()
    assert "less than or equal to 31" in error.inner_text()
    number_field = page.locator(".field.has-error", has=error)
    assert number_field.get_by_label("Zz Nights without shelter").input_value() == "40"
    assert page.locator(".has-error").count() == 1
    assert Contact.objects.filter(case=case).count() == contacts_before
    assert not CustomValue.objects.exists()

    form.get_by_label("Zz Nights without shelter").fill("12")
    form.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert CustomValue.objects.count() == 8
    body = page.locator("main").inner_text()
    for shown in (
        "Zz Where they sleep: Zz Under the bridge",
        "Zz What changed: Zz Lost the room at the hostel",
        "Zz Nights without shelter: 12",
        "Zz Next court date: 15/03/2027",
        "Zz Has a lawyer: Yes",
        "Zz Main worry: Papers",
        "Zz Languages spoken: Arabic, French",
        "Zz Referred to: Zz Legal clinic",
    ):
        assert shown in body, (shown, body)
