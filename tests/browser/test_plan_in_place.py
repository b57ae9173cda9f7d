"""A case manager keeps a plan current (issue 11 #5), in Chromium: a goal and an action edited
in place without the page reloading, then the same without JavaScript, on pages of their own."""

import os

import pytest

from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Action, Goal
from tests.browser.phone import let_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ENGAGE_SCREENSHOTS")  # a folder, to look at the pages afterwards
DUPLICATE_IDS = """() => {
    const seen = {};
    for (const el of document.querySelectorAll("[id]")) seen[el.id] = (seen[el.id] || 0) + 1;
    return Object.keys(seen).filter((id) => seen[id] > 1);
}"""


def _shots(page, name):
    """The page as a laptop (1366 px) and a phone (390 px) show it."""
    if not SHOTS:
        return
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def _goal(plan, description):
    return next(goal for goal in plan.goals.all() if goal.description == description)  # encrypted


@pytest.fixture
def plan(organisation, alice, bob):
    case = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name="Amal",
        person__family_name="Plantest",
    )
    case, plan = to_active(case, alice, bob)
    housing = services.add_goal(
        plan, by=alice, data={"area": "basic_needs", "description": "Find stable housing"}
    )
    for text, due in (("Visit the housing office", 4), ("Fill in the housing form", -6)):
        services.add_action(
            housing,
            by=alice,
            data={"description": text, "owner": "case_manager", "due_date": days_ago(due)},
        )
    return plan


def test_it_edits_a_goal_and_an_action_in_place(browser, live_server, plan, alice):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(60_000)  # the first page of a session can be slow
    try:
        url = f"/cases/plans/{plan.pk}/"
        let_in(page, live_server, alice, to=url)
        page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads
        goal = _goal(plan, "Explore legal stay")
        card = page.locator(f"#goal-{goal.pk}")

        # The goal: its wording edited in the card, then a cancelled edit leaves it as it is.
        card.get_by_role("link", name="Edit: Explore legal stay").click()
        card.get_by_label("Goal").fill("Apply for legal stay with the lawyer")
        assert page.evaluate(DUPLICATE_IDS) == []
        _shots(page, "plan-goal-editing")
        card.get_by_role("button", name="Save the goal").click()
        card.get_by_role("heading", name="Apply for legal stay with the lawyer").wait_for()
        card.get_by_role("link", name="Edit: Apply for legal stay with the lawyer").click()
        card.get_by_role("link", name="Cancel").click()
        card.get_by_role("heading", name="Apply for legal stay with the lawyer").wait_for()

        # The action: text, owner and due date edited in its row.
        action = goal.actions.get()
        row = page.locator(f"#action-{action.pk}")
        row.get_by_role("link", name="Edit: See a lawyer").click()
        row.get_by_label("Action").fill("See the legal aid lawyer")
        row.get_by_label("Who").select_option("third_party")
        row.get_by_label("Third party").fill("Legal aid office")
        row.get_by_label("Due by").fill(days_ago(2).isoformat())
        assert page.evaluate(DUPLICATE_IDS) == []
        _shots(page, "plan-action-editing")
        row.get_by_role("button", name="Save the action").click()
        row.get_by_text("Third party: Legal aid office").wait_for()
        assert "See the legal aid lawyer" in row.inner_text()
        assert "overdue by 2 days" in row.inner_text()

        # Another goal achieved: its open actions are cancelled, and it can be taken up again.
        housing = _goal(plan, "Find stable housing")
        other = page.locator(f"#goal-{housing.pk}")
        other.get_by_text("Achieved or no longer pursued?").click()
        other.get_by_label("Achieved").check()
        other.get_by_label("Date").fill(days_ago(1).isoformat())
        other.get_by_role("button", name="Save the goal's status").click()
        other.get_by_text("Its 2 open actions were cancelled.").wait_for()
        assert "Achieved on" in other.inner_text()
        _shots(page, "plan-after")
        assert page.evaluate("window.stillTheSamePage") is True  # never reloaded
        assert page.url.endswith(url)
        assert page.evaluate(DUPLICATE_IDS) == []

        page.goto(f"/cases/{plan.case_id}/")
        actions = page.locator(".open-actions")
        actions.get_by_role("link", name="See the legal aid lawyer").wait_for()
        assert "overdue by 2 days" in actions.inner_text()
        assert "Visit the housing office" not in actions.inner_text()  # cancelled with its goal
        _shots(page, "case-page")
    finally:
        context.close()

    goal.refresh_from_db()
    action.refresh_from_db()
    assert goal.description == "Apply for legal stay with the lawyer"
    assert (action.description, action.owner, action.third_party, action.due_date) == (
        "See the legal aid lawyer",
        "third_party",
        "Legal aid office",
        days_ago(2),
    )
    assert Goal.objects.get(pk=housing.pk).status == Goal.Status.ACHIEVED
    assert set(housing.actions.values_list("status", flat=True)) == {Action.Status.CANCELLED}


def test_it_does_the_same_without_javascript(browser, live_server, plan, alice):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(60_000)  # the first page of a session can be slow
    try:
        url = f"/cases/plans/{plan.pk}/"
        let_in(page, live_server, alice, to=url)
        goal = _goal(plan, "Explore legal stay")

        page.get_by_role("link", name="Edit: Explore legal stay").click()
        page.get_by_role("heading", name="Edit the goal").wait_for()  # a page of its own
        page.get_by_label("Goal").fill("Apply for legal stay with the lawyer")
        _shots(page, "nojs-goal-edit")
        page.get_by_role("button", name="Save").click()
        page.locator(".message.success").get_by_text("Goal saved.").wait_for()
        assert page.url.endswith(f"{url}#goal-{goal.pk}")
        page.get_by_role("heading", name="Apply for legal stay with the lawyer").wait_for()

        action = goal.actions.get()
        page.get_by_role("link", name="Edit: See a lawyer").click()
        page.get_by_role("heading", name="Edit the action").wait_for()
        page.get_by_label("Action").fill("See the legal aid lawyer")
        page.get_by_label("Who").select_option("client")
        page.get_by_label("Due by").fill(days_ago(-3).isoformat())
        page.get_by_role("button", name="Save").click()
        page.locator(".message.success").get_by_text("Action saved.").wait_for()
        row = page.locator(f"#action-{action.pk}")
        assert "See the legal aid lawyer" in row.inner_text()
        assert "due in 3 days" in row.inner_text()

        # A goal's status: the <details> opens without JavaScript; a wrong date comes back.
        housing = _goal(plan, "Find stable housing")
        card = page.locator(f"#goal-{housing.pk}")
        card.get_by_text("Achieved or no longer pursued?").click()
        card.get_by_label("No longer pursued").check()
        card.get_by_label("Date").fill(days_ago(-5).isoformat())
        card.get_by_role("button", name="Save the goal's status").click()
        page.get_by_text("This date is in the future.", exact=True).wait_for()
        page.get_by_label("Date").fill(days_ago(0).isoformat())
        page.get_by_role("button", name="Save").click()
        page.locator(".message.success").get_by_text(
            "The goal is marked as no longer pursued."
        ).wait_for()
        _shots(page, "nojs-plan-after")
    finally:
        context.close()

    goal.refresh_from_db()
    action.refresh_from_db()
    assert goal.description == "Apply for legal stay with the lawyer"
    assert (action.description, action.owner, action.due_date) == (
        "See the legal aid lawyer",
        "client",
        days_ago(-3),
    )
    assert Goal.objects.get(pk=housing.pk).status == Goal.Status.DROPPED
