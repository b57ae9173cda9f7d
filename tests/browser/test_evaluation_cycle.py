"""An evaluation cycle in Chromium: the network coordinator defines it, takes the baseline
snapshot (after confirming), writes a narrative and reads the comparison."""

import pytest

from engage.mel import services
from engage.mel.dataset import submission
from tests.browser.phone import let_in
from tests.browser.test_case_journey import _shot
from tests.mel.rows import row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_coordinator_runs_an_evaluation_point(page, live_server, nadia, tmp_path):
    rows = [row(n, inclusion_month="2023-03") for n in range(18)] + [
        row(100 + n, inclusion_month="2023-03", status="closed", closure_month="2023-05",
            closure_reason="removed", sex="male")
        for n in range(3)
    ]  # fmt: skip
    submission.write(tmp_path / "sub", "BG-CLA", "2024-12", rows)
    services.import_submission(tmp_path / "sub")

    let_in(page, live_server, nadia, to="/mel/cycles/")
    assert "No evaluation cycle yet." in page.content()
    page.get_by_role("link", name="Define a cycle").click()
    for label, value in (("Name", "Pilots 2023-2024"), ("Start of the term", "2023-01"),
                         ("Baseline", "2023-06"), ("6 months", "2023-12"),
                         ("Mid-term", "2023-02"), ("End of term", "2024-12")):  # fmt: skip
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Define the cycle").click()
    # Said in the summary at the top of the form, a link to the field, and next to the field.
    page.get_by_role("link", name="Mid-term: This point comes before the previous one.").wait_for()
    page.locator(".errorlist").get_by_text("This point comes before the previous one.").wait_for()
    page.get_by_label("Mid-term").fill("2024-06")
    page.get_by_role("button", name="Define the cycle").click()
    page.get_by_role("heading", name="Points").wait_for()
    _shot(page, "cycle-01-defined")

    page.get_by_role("link", name="Take the snapshot").first.click()
    page.get_by_role("button", name="Take the snapshot").click()
    page.locator(".errorlist").get_by_text("This field is required.").wait_for()  # to confirm
    page.get_by_label("I understand").check()
    _shot(page, "cycle-02-confirm")
    page.get_by_role("button", name="Take the snapshot").click()
    page.locator(".message.success").wait_for()
    assert "&lt;5" in page.content()  # ENG-03 at network level
    _shot(page, "cycle-03-snapshot")

    page.locator("a[href*='area=engagement']").click()
    page.get_by_label("Progress").fill("Most clients stayed engaged through the first months.")
    page.get_by_role("button", name="Save").click()
    page.locator(".message.success").wait_for()
    page.get_by_role("link", name="Pilots 2023-2024").click()
    page.wait_for_url("**/mel/cycles/*/")  # the cycle's page, not the narrative still on screen
    content = page.content()
    assert "Most clients stayed engaged" in content and "BEN-03 Clients ever supported" in content
    _shot(page, "cycle-04-comparison")
