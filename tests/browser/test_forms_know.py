"""Forms that know what the system knows (issue 11 #6), in Chromium, with and without JavaScript.

A case manager registers a referral: today, the only city and the usual legal basis are
proposed; household members are added one at a time; the error summary takes her to each field.
Then she closes a case: the disengagement factors show only for a disengagement, and what is
still undone is pointed out before "Send for approval". Screenshots at 1366 and 390 pixels wide.
"""

import re

import pytest

from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Case, Closure, Person
from tests.browser.phone import LAPTOP as WIDE
from tests.browser.phone import PHONE, let_in
from tests.browser.test_case_journey import _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(page):
    # The machine these run on is shared: pages are slow to come, never wrong.
    page.set_default_timeout(30_000)
    return page


def _focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _shots(page, name):
    for label, size in (("1366", WIDE), ("390", PHONE)):
        page.set_viewport_size(size)
        _shot(page, f"{name}-{label}")
    page.set_viewport_size(WIDE)


def test_a_referral_with_household_members_and_the_error_summary(
    page, live_server, alice, organisation
):
    organisation.default_legal_basis = "legitimate_interest"
    organisation.save()
    page.set_viewport_size(WIDE)
    let_in(page, live_server, alice, to="/cases/new/")

    # What Engage knows is proposed.
    assert page.get_by_label("Referral date").input_value() == organisation.today().isoformat()
    assert page.get_by_label("City").locator("option:checked").inner_text() == "Sofia"
    assert page.get_by_label("Legal basis for processing").input_value() == "legitimate_interest"
    assert page.locator("#household-forms fieldset").count() == 0

    page.get_by_label("Referred by").select_option("detention_centre")
    page.get_by_label("Detention at referral").select_option("released")
    page.get_by_label("Migration status at referral").select_option("irregular")
    page.get_by_label("Nationality").select_option(label="Stateless")
    page.get_by_label("Family name").first.fill("Formstest")

    # One block at a time, in place: the page is not sent, and the new block has the focus.
    add = page.get_by_role("button", name="Add a household member")
    add.click()
    member = page.get_by_role("group", name="Household member 1")
    member.wait_for()
    assert _focused_id(page) == "id_household-0-given_name"
    assert page.locator("#id_household-TOTAL_FORMS").input_value() == "1"
    member.get_by_label("Given name").fill("Omar")
    member.get_by_label("Relationship").select_option("child")
    member.get_by_label("Date of birth").fill("2099-01-01")
    add.click()
    page.get_by_role("group", name="Household member 2").wait_for()
    assert page.locator("#id_household-TOTAL_FORMS").input_value() == "2"
    _shots(page, "30-referral-household")

    # Sent without the client's given name and with a birth date to come.
    page.get_by_role("button", name="Register the referral").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert _focused_id(page) == "" and page.evaluate(
        "document.activeElement.classList.contains('error-summary')"
    )
    assert "2 answers need correcting" in summary.inner_text()
    _shots(page, "31-referral-error-summary")
    summary.get_by_role("link", name=re.compile(r"^Given name: This field is required")).click()
    assert _focused_id(page) == "id_person-given_name"
    summary.get_by_role("link", name=re.compile(r"^Household member 1: Date of birth")).click()
    assert _focused_id(page) == "id_household-0-date_of_birth"
    # What was typed came back: the second, empty block too.
    assert page.locator("#id_household-0-given_name").input_value() == "Omar"
    assert page.locator("#id_household-TOTAL_FORMS").input_value() == "2"

    page.locator("#id_household-0-date_of_birth").fill("2015-04-01")
    page.locator("#id_person-given_name").fill("Amal")
    # Enter in a field sends the referral, not "Add a household member".
    page.locator("#id_person-given_name").press("Enter")
    page.locator(".message.success").wait_for()
    case = Case.objects.get()
    assert case.person.nationality.code == "XXA" and case.legal_basis == "legitimate_interest"
    assert case.referral_date == organisation.today() and case.city.name == "Sofia"
    members = Person.objects.filter(household=case.household).exclude(pk=case.person_id)
    assert [m.given_name for m in members] == ["Omar"]


def test_without_javascript_the_add_button_sends_the_page_back_with_one_more_block(
    browser, live_server, alice, organisation
):
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport=WIDE
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        let_in(page, live_server, alice, to="/cases/new/")
        page.get_by_label("Given name").first.fill("Nour")
        page.get_by_role("button", name="Add a household member").click()
        page.get_by_role("group", name="Household member 1").wait_for()
        assert page.get_by_label("Given name").first.input_value() == "Nour"
        assert page.locator(".error-summary").count() == 0
        assert _focused_id(page) == "id_household-0-given_name"  # autofocus
        page.get_by_role("button", name="Add a household member").click()
        page.get_by_role("group", name="Household member 2").wait_for()
        # Enter sends the referral (the hidden first button), so the summary says what is missing.
        page.get_by_label("Given name").first.press("Enter")
        page.locator(".error-summary").wait_for()
        assert "Referred by" in page.locator(".error-summary").inner_text()
        assert Case.objects.count() == 0
        _shot(page, "32-referral-no-script")
    finally:
        context.close()


def test_closing_a_case_shows_what_concerns_the_reason_and_what_is_undone(
    page, live_server, alice, bob, organisation
):
    case, _plan = to_active(
        CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Amal"),
        alice,
        bob,
    )
    page.set_viewport_size(WIDE)
    let_in(page, live_server, alice, to=f"/cases/{case.pk}/close/")
    warnings = page.get_by_role("region", name="Before you send")
    assert "1 plan action is still open" in warnings.inner_text()
    assert "See a lawyer" in warnings.inner_text()
    final = warnings.get_by_text(re.compile("record a final assessment"))
    assert final.is_visible()
    factors = page.get_by_role("group", name=re.compile("Factors in the disengagement"))
    assert not factors.is_visible()
    assert not page.get_by_text("Only for a client who disengaged or absconded").is_visible()

    page.get_by_label(re.compile(r"^Reason\b")).select_option("absconded")
    assert factors.is_visible() and not final.is_visible()
    assert "1 plan action is still open" in warnings.inner_text()
    _shots(page, "33-closure-absconded")
    page.get_by_label(re.compile(r"^Reason\b")).select_option("transferred")
    assert not factors.is_visible() and final.is_visible()
    _shots(page, "34-closure-transferred")

    page.get_by_role("button", name="Send for approval").click()
    page.get_by_text("The closure was sent to a supervisor for approval.").wait_for()
    closure = Closure.objects.get()
    assert closure.reason == "transferred" and closure.disengagement_factors == []


def test_the_assessment_and_inclusion_forms_show_what_was_recorded(
    page, live_server, alice, bob, organisation
):
    """Screenshots of the other two forms at both widths, and the ratings as radio groups."""
    case, _plan = to_active(
        CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Amal"),
        alice,
        bob,
    )
    let_in(page, live_server, alice, to=f"/cases/{case.pk}/assessments/new/")
    aside = page.get_by_role("complementary", name="Recorded before")
    assert "Health and welfare" in aside.inner_text()
    group = page.get_by_role("radiogroup", name=re.compile("^Coping and well-being"))
    if not group.count():  # a fieldset is a group, not a radiogroup
        group = page.get_by_role("group", name=re.compile("^Coping and well-being"))
    assert group.get_by_role("radio").count() == 5
    _shots(page, "35-assessment")
    # On a phone what was recorded comes above the form.
    page.set_viewport_size(PHONE)
    aside_box = aside.bounding_box()
    form_box = page.locator("form[method=post]").last.bounding_box()
    assert aside_box["y"] + aside_box["height"] <= form_box["y"] + 1
    page.set_viewport_size(WIDE)
    aside_box = aside.bounding_box()
    form_box = page.locator("form[method=post]").last.bounding_box()
    assert aside_box["x"] > form_box["x"] + form_box["width"] - 1

    other = CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Nour")
    from engage.cases import services
    from engage.cases.factories import to_screening

    services.add_criterion(
        organisation, by=alice, text="At risk of detention", established_by="detention_risk"
    )
    services.add_criterion(organisation, by=alice, text="We can offer what the case needs")
    to_screening(other, alice)
    services.save_screening(
        other,
        by=alice,
        data={"date": days_ago(2), "detention_risk": "high", "intervention_rating": "low"},
        expected_version=None,
    )
    page.goto(f"/cases/{other.pk}/inclusion/")
    assert page.get_by_role("checkbox", name=re.compile("At risk of detention")).is_checked()
    assert not page.get_by_role("checkbox", name=re.compile("We can offer")).is_checked()
    page.get_by_label("Include in the programme").check()
    page.get_by_role("button", name="Save").click()
    page.locator(".error-summary").wait_for()
    assert "1 criterion is not met" in page.locator(".error-summary").inner_text()
    _shots(page, "36-inclusion")
