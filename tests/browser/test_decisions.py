"""Supervisor decisions reach the case manager, in Chromium: a plan sent back with a note shows on
the caseload and the case page until it is sent again; "approve and next" through the queue."""

import os
import re

import pytest

from engage.cases import services
from engage.cases.factories import (
    RATINGS,
    SCREENING,
    CaseFactory,
    days_ago,
    to_included,
    to_screening,
)
from tests.browser.phone import let_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ENGAGE_SCREENSHOTS")  # a folder, to look at the pages afterwards
NOTE = "Add a goal on accommodation: the shelter place ends next month."


def _shot(page, name):
    if not SHOTS:
        return
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1200, "height": 800})


def _pending_plan(organisation, alice, bob, name):
    case = CaseFactory(organisation=organisation, case_manager=alice, person__given_name=name,
                       person__family_name="Decidetest")  # fmt: skip
    to_included(case, alice, bob)
    services.log_contact(case, by=alice, data={"date": days_ago(1), "type": "phone"})
    services.record_assessment(case, by=alice, data={"date": days_ago(1), **RATINGS})
    plan = services.create_plan(case, by=alice, person=case.person)
    services.add_goal(plan, by=alice, data={"area": "health", "description": "See a doctor"})
    services.submit_plan(plan, by=alice)
    return case, plan


def _proposed(organisation, alice, name):
    case = CaseFactory(organisation=organisation, case_manager=alice, person__given_name=name,
                       person__family_name="Queuetest")  # fmt: skip
    to_screening(case, alice)
    services.save_screening(
        case, by=alice, data={"date": days_ago(185), **SCREENING}, expected_version=None
    )
    services.propose_inclusion(
        case, by=alice, include=True, date=days_ago(0), criteria_met=[], reason=""
    )
    return case


def test_a_plan_sent_back_reaches_the_case_manager_until_sent_again(
    page, live_server, organisation, alice, bob
):
    case, _plan = _pending_plan(organisation, alice, bob, "Samira")
    page.set_default_timeout(40_000)

    let_in(page, live_server, bob, to="/cases/approvals/")
    page.get_by_text("waiting since today").wait_for()
    _shot(page, "decide-01-queue")
    page.get_by_role("link", name="Samira Decidetest").click()
    # Sending back without a note is refused, next to the note.
    page.get_by_role("button", name="Send back").click()
    page.locator(".field.has-error").get_by_text(
        "Say what needs to change before approval."
    ).wait_for()
    page.get_by_label("Note").fill(NOTE)
    page.get_by_role("button", name="Send back").click()
    page.get_by_text("Nothing else is waiting for your approval.").wait_for()
    assert page.url.endswith("/cases/approvals/")

    let_in(page, live_server, alice)
    top = page.locator(".sent-back-list")
    top.get_by_text(NOTE).wait_for()
    top.get_by_text("Case plan sent back").wait_for()
    _shot(page, "decide-02-caseload")
    top.get_by_role("link", name="Samira Decidetest").click()
    sent_back = page.locator("#sent-back")
    sent_back.get_by_text(NOTE).wait_for()
    main_button = page.locator(".next-button").get_by_role("link")
    assert main_button.inner_text() == "Revise the case plan"
    _shot(page, "decide-03-case")
    main_button.click()
    page.locator("#sent-back").get_by_text(NOTE).wait_for()
    page.get_by_role("button", name="Send to a supervisor for approval").click()
    page.locator(".message.success").wait_for()
    page.goto("/")
    page.get_by_role("heading", name="My caseload").wait_for()
    assert page.locator(".sent-back-list").count() == 0
    assert NOTE not in page.content()
    page.goto(f"/cases/{case.pk}/")
    assert page.locator("#sent-back").count() == 0
    page.get_by_text("The case plan is waiting for a supervisor's approval.").wait_for()


def test_approve_and_next_goes_through_the_queue(page, live_server, organisation, alice, bob):
    first = _proposed(organisation, alice, "Yusuf")
    second = _proposed(organisation, alice, "Leila")
    assert first.pk != second.pk

    let_in(page, live_server, bob, to="/cases/approvals/")
    page.get_by_role("link", name="Yusuf Queuetest").click()
    page.get_by_role("heading", name="Approve the inclusion decision").wait_for()
    _shot(page, "decide-04-review")
    page.get_by_role("button", name="Approve").click()
    # The next item opens, not the case page.
    page.get_by_role("link", name=re.compile("Leila Queuetest")).wait_for()
    page.get_by_role("heading", name="Approve the inclusion decision").wait_for()
    page.locator(".message.success").get_by_text("Approved.").wait_for()
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Nothing else is waiting for your approval.").wait_for()
    assert page.url.endswith("/cases/approvals/")
    _shot(page, "decide-05-queue-empty")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stage, second.stage) == ("included", "included")


def test_a_supervisor_reassigns_chosen_cases(page, live_server, organisation, alice, bob, team):
    from engage.accounts.factories import UserFactory

    UserFactory(username="carol", first_name="Carol", organisation=organisation, team=team)
    cases = [
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name=name,
            person__family_name="Movetest",
        )
        for name in ("Omar", "Aisha", "Karim")
    ]
    let_in(page, live_server, bob)
    page.get_by_role("link", name="Reassign their cases").first.click()
    page.get_by_label("Only the cases ticked below").check()
    page.get_by_label(re.compile("Omar Movetest")).check()
    page.get_by_label(re.compile("Karim Movetest")).check()
    page.get_by_label("New case manager").select_option(label="Carol Test")
    _shot(page, "decide-06-reassign")
    page.get_by_role("button", name="See what will move").click()
    page.get_by_text("2 cases will go from Alice Test to Carol Test").wait_for()
    _shot(page, "decide-07-reassign-confirm")
    page.get_by_role("button", name="Reassign these cases").click()
    page.get_by_text("2 cases reassigned from Alice Test to Carol Test.").wait_for()
    managers = [type(c).objects.get(pk=c.pk).case_manager.username for c in cases]
    assert managers == ["carol", "alice", "carol"]
