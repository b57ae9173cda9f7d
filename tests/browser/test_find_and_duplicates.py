"""Finding people and not registering them twice, in Chromium (issue 11 #8).

A case manager finds a client from the caseload's search box by another spelling of the name;
registering a client already known in another team's caseload is stopped by a warning that
names no one but her supervisor, and she says it is a different person; the supervisor
decides a likely duplicate on his page. Each at 1366 and 390 pixels wide, with screenshots
when ENGAGE_SCREENSHOTS names a folder.
"""

import datetime
import os

import pytest

from engage.accounts.factories import TeamFactory, UserFactory
from engage.accounts.models import Role
from engage.cases import duplicates
from engage.cases.factories import CaseFactory
from engage.cases.models import Case, PossibleDuplicate
from tests.browser.phone import let_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ENGAGE_SCREENSHOTS")
WIDTHS = ((1366, 900), (390, 844))
BORN = datetime.date(1990, 1, 1)


@pytest.fixture(autouse=True)
def _patient(page):
    """Pages with a search or a check behind them, on a machine shared with other tests."""
    page.set_default_timeout(30_000)


def _at_each_width(page, name, check=None):
    """Look at the page at both widths: nothing wider than the screen; a screenshot each."""
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} is {overflow}px wider than {width}px"
        if check:
            check()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1200, "height": 800})


def test_a_case_manager_finds_a_client_from_the_caseload_by_another_spelling(
    page, live_server, alice, organisation
):
    mohammed = CaseFactory(organisation=organisation, case_manager=alice,
                           person__given_name="Mohammed", person__family_name="Haddad")  # fmt: skip
    CaseFactory(organisation=organisation, case_manager=alice,
                person__given_name="Олександр", person__family_name="Шевченко")  # fmt: skip
    CaseFactory(organisation=organisation, case_manager=alice,
                person__given_name="Amal", person__family_name="Journeytest")  # fmt: skip
    let_in(page, live_server, alice)
    search = page.get_by_role("search", name="Find a client")
    _at_each_width(page, "30-caseload-search", lambda: search.wait_for())
    search.get_by_label("Find a client").fill("Muhammad")
    search.get_by_role("button", name="Search").click()
    page.get_by_role("heading", name="Cases").wait_for()
    results = page.locator("#case-results")
    assert "Mohammed Haddad" in results.inner_text()
    assert "Journeytest" not in results.inner_text()
    assert mohammed.reference in results.inner_text()
    _at_each_width(page, "31-search-results-muhammad")
    # The case list searches as one types: the beginning of a Cyrillic name, in Latin letters.
    page.get_by_label("Name or reference").fill("shev")
    page.get_by_text("Олександр Шевченко").wait_for()
    assert "Mohammed" not in results.inner_text()
    # The new results came without a new page: a screen reader hears how many from the status
    # line beside them, kept in the page (a live region put in with the results is not read).
    status = page.get_by_role("status").filter(has_text="1 case")
    status.wait_for(state="attached")
    assert status.evaluate("line => line.matches('[data-results-status]')")
    page.get_by_label("Name or reference").fill("zzzz nobody")
    page.get_by_role("status").filter(has_text="No case matches").wait_for(state="attached")
    page.get_by_label("Name or reference").fill("Alexander")
    page.get_by_text("Олександр Шевченко").wait_for()
    _at_each_width(page, "32-search-results-alexander")


def test_a_person_known_in_another_caseload_is_not_registered_twice_unnoticed(
    page, live_server, alice, bob, organisation
):
    eve = UserFactory(username="eve", first_name="Eve", role=Role.SUPERVISOR,
                      organisation=organisation)  # fmt: skip
    dave = UserFactory(username="dave", first_name="Dave", organisation=organisation,
                       team=TeamFactory(organisation=organisation, name="Plovdiv", leader=eve))  # fmt: skip
    hidden = CaseFactory(organisation=organisation, case_manager=dave,
                         person__given_name="Mohammed", person__family_name="Haddadhidden",
                         person__date_of_birth=BORN)  # fmt: skip
    let_in(page, live_server, alice, to="/cases/new/")
    page.get_by_label("Referred by").select_option("ngo")
    page.get_by_label("Detention at referral").select_option("released")
    page.get_by_label("Migration status at referral").select_option("asylum_seeker")
    page.get_by_label("Legal basis for processing").select_option("consent")
    page.get_by_label("Purpose of processing").fill("Case management in the community")
    page.locator("#id_person-given_name").fill("Muhammad")
    page.locator("#id_person-family_name").fill("Haddadhidden")
    page.locator("#id_person-date_of_birth").fill(BORN.isoformat())
    page.get_by_role("button", name="Register the referral").click()
    warning = page.get_by_role("alert").filter(has_text="This person may already be known")
    warning.wait_for()
    text = warning.inner_text()
    assert "a name that sounds the same and the same date of birth" in text
    assert "in a caseload you cannot open" in text and "Ask your supervisor, Bob" in text
    page_text = page.content()
    for secret in ("Mohammed", hidden.reference, str(hidden.pk), "Dave", "Plovdiv"):
        assert secret not in text, secret
    assert "Mohammed" not in page_text and hidden.reference not in page_text
    assert Case.objects.count() == 1
    # What was typed is kept, so going on costs nothing.
    assert page.locator("#id_person-given_name").input_value() == "Muhammad"
    _at_each_width(page, "33-duplicate-warning", lambda: warning.wait_for())
    # Enter in a field does not say "a different person": it only checks again.
    page.locator("#id_person-family_name").press("Enter")
    warning.wait_for()
    assert Case.objects.count() == 1
    warning.get_by_role("button", name="This is a different person: register").click()
    page.locator(".message.success").wait_for()
    assert Case.objects.count() == 2
    flag = PossibleDuplicate.objects.get()
    assert flag.other_id == hidden.person_id and flag.flagged_by == alice

    # The supervisor: another likely duplicate, in his own team, to decide.
    first = CaseFactory(organisation=organisation, case_manager=alice,
                        person__given_name="Youssef", person__family_name="Karimi",
                        person__date_of_birth=BORN)  # fmt: skip
    second = CaseFactory(organisation=organisation, case_manager=alice,
                         person__given_name="Yusuf", person__family_name="Karimi",
                         person__date_of_birth=BORN)  # fmt: skip
    (pair,) = duplicates.flag(
        second.person, [duplicates.Match(first.person_id, ("identity",))], by=alice
    )
    let_in(page, live_server, bob)
    page.get_by_role("link", name="2 referrals may be people already known").click()
    page.get_by_role("heading", name="Possible duplicates", exact=True).wait_for()
    card = page.locator(f"#pair-{pair.pk}")
    assert "Youssef Karimi" in card.inner_text() and "Yusuf Karimi" in card.inner_text()
    other = page.locator(f"#pair-{flag.pk}")
    assert "A record in a caseload you cannot open." in other.inner_text()
    assert "Haddadhidden" not in other.inner_text().split("Registered later")[0]
    assert other.get_by_role("button", name="The same person").count() == 0
    _at_each_width(page, "34-possible-duplicates")
    card.get_by_role("button", name="The same person").click()
    page.locator(".message.success").wait_for()
    pair.refresh_from_db()
    assert pair.decision == "same_person" and pair.decided_by == bob
    assert "The same person" in page.locator(f"#pair-{pair.pk} h2").inner_text()
