"""A pilot's own questions, in Chromium (issue 15): the organisation admin defines a field
shown only when another has a given answer, previews the form, and the case manager sees it
appear when the condition holds. Screenshots at 1366 and 390 pixels wide (ENGAGE_SCREENSHOTS);
axe-core, when given (ENGAGE_AXE), finds no violation on the pages."""

import os
import pathlib

import pytest

from engage.cases.factories import CaseFactory
from engage.custom import services
from engage.custom.models import CustomField, CustomValue
from tests.browser.phone import LAPTOP as WIDE
from tests.browser.phone import PHONE, let_in
from tests.browser.test_case_journey import _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# axe-core's axe.min.js (npm install axe-core@4), when given: ENGAGE_AXE=path/to/axe.min.js
AXE = pathlib.Path(os.environ["ENGAGE_AXE"]) if os.environ.get("ENGAGE_AXE") else None


@pytest.fixture
def page(page):
    page.set_default_timeout(30_000)
    return page


def _check(page, name):
    """Screenshots at both widths, and no axe-core violation when axe-core is at hand."""
    for label, size in (("1366", WIDE), ("390", PHONE)):
        page.set_viewport_size(size)
        _shot(page, f"custom-{name}-{label}")
        if AXE is not None:
            violations = page.evaluate(
                AXE.read_text() + "\n;axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})"
                ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.length))"
            )
            assert violations == [], (name, label, violations)
    page.set_viewport_size(WIDE)


def test_a_conditional_field_appears_when_its_condition_holds(
    page, live_server, ada, alice, organisation
):
    services.define_field(
        organisation, by=ada, form="first_meeting", type="yes_no", label="Family in the country"
    )
    case = CaseFactory(organisation=organisation, case_manager=alice)
    page.set_viewport_size(WIDE)
    let_in(page, live_server, ada, to="/settings/fields/")
    assert page.get_by_text("never goes into the network dataset").is_visible()
    _check(page, "list")
    page.goto("/settings/fields/forms/first_meeting/new/")
    page.locator("#id_label").fill("Where does the family live")
    page.locator("#id_type").select_option("short_text")
    page.locator("#id_condition_field").select_option(label="Family in the country")
    page.locator("#id_condition_value").fill("yes")
    page.locator("#id_required").check()
    _check(page, "add")
    page.get_by_role("button", name="Add the field").click()
    page.get_by_text("The field was added.").wait_for()
    _check(page, "edit")
    page.goto("/settings/fields/forms/first_meeting/preview/")
    _check(page, "preview")

    let_in(page, live_server, alice, to=f"/cases/{case.pk}/first-meeting/")
    where = page.get_by_label("Where does the family live")
    assert not where.is_visible()
    page.get_by_label("No").check()
    assert not where.is_visible()
    page.get_by_label("Yes").check()
    where.wait_for(state="visible")
    _check(page, "first-meeting")
    where.fill("Zzbrowser Limassol")
    for label in (
        "Programme explained",
        "Independence explained",
        "Data protection explained",
        "Consent given",
    ):
        box = page.get_by_label(label, exact=False).first
        if box.count():
            box.check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    field = CustomField.objects.get(key="where_does_the_family_live")
    values = {value.field_id: value.data for value in CustomValue.objects.all()}
    assert values.get(field.pk) == "Zzbrowser Limassol", page.content()[:2000]
