"""The evidence pages in Chromium: an org admin downloads the submission, the network coordinator
imports it (and sees a refused one's report), then reads the network dashboard."""

import json
import zipfile

import pytest
from playwright.sync_api import expect

from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.mel.models import Submission
from tests.browser.phone import let_in
from tests.browser.test_case_journey import _shot
from tests.mel.rows import held_rows
from tests.tasks.conftest import run_queued_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_submission_goes_from_the_pilot_to_the_network_dashboard(
    page, live_server, alice, bob, ada, nadia, organisation, tmp_path
):
    # Five clients alike: a group of 5, sent as it is (mel/anonymity.py).
    for _ in range(5):
        to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    period_end = days_ago(0).strftime("%Y-%m")

    let_in(page, live_server, ada)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Evidence").click()
    page.get_by_role("heading", name="Pilot figures").wait_for()
    _shot(page, "evidence-01-pilot-figures")
    page.get_by_role("link", name="Download the network submission").first.click()
    page.get_by_label("Period end").fill(period_end)
    page.get_by_role("button", name="Check what will be sent").click()
    page.get_by_role("heading", name=f"What will be sent, period end {period_end}").wait_for()
    assert "Smallest group sent (k)" in page.content()
    _shot(page, "evidence-02-export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the .zip").click()
    assert download.value.suggested_filename == f"BG-CLA-{period_end}.zip"
    archive_path = tmp_path / "submission.zip"
    download.value.save_as(archive_path)
    with zipfile.ZipFile(archive_path) as archive:
        assert sorted(archive.namelist()) == ["cases.csv", "manifest.json"]
        assert json.loads(archive.read("manifest.json"))["rows"] == 5
        csv_text = archive.read("cases.csv").decode()

    # A tampered copy: the checksum no longer matches.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(archive_path) as source, zipfile.ZipFile(tampered, "w") as target:
        target.writestr("cases.csv", csv_text.replace("Sofia", "Plovdiv"))
        target.writestr("manifest.json", source.read("manifest.json"))

    let_in(page, live_server, nadia)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Evidence").click()
    page.get_by_role("heading", name="Network dashboard").wait_for()
    # BG-CLA works on this instance and has sent nothing yet: its live cases are read.
    freshness = page.get_by_role("table").first.inner_text()
    assert "Live cases of this instance, as of" in freshness
    page.get_by_role("link", name="Import a submission").click()
    page.get_by_label("Submission (.zip)").set_input_files(str(tampered))
    page.get_by_role("button", name="Check and import").click()
    refusal = page.get_by_role("alert")
    refusal.wait_for()
    assert "nothing was stored" in refusal.inner_text()
    assert "sha256 does not match cases.csv" in refusal.inner_text()
    _shot(page, "evidence-03-import-refused")
    assert not Submission.objects.exists()

    page.get_by_label("Submission (.zip)").set_input_files(str(archive_path))
    page.get_by_role("button", name="Check and import").click()
    page.get_by_role("heading", name=f"Imported BG-CLA, period end {period_end}").wait_for()
    assert len(held_rows()) == 5
    _shot(page, "evidence-04-imported")

    page.get_by_role("link", name="Submissions imported").first.click()
    assert "Nadia" in page.locator("table").inner_text()
    page.get_by_role("link", name="Network dashboard").click()
    page.get_by_label("To (month)").fill(period_end)
    page.get_by_role("button", name="Show").click()
    # Its submission reaches the period's end now: the figures are the submission's.
    assert f"Imported submission up to {period_end}" in page.get_by_role("table").first.inner_text()
    table = page.get_by_role("table", name="Key indicators per pilot, with the network total")
    # Five clients: small counts, so percentages that could give one away are withheld.
    assert "BG-CLA" in table.inner_text() and "withheld" in table.inner_text()
    page.get_by_text("The same figures as a table").first.click()
    _shot(page, "evidence-05-network-dashboard")

    page.get_by_role("link", name="Make a report").first.click()
    page.get_by_label("To (month)").fill(period_end)
    page.get_by_role("button", name="Make the report").click()
    # Its page waits for the background task (run here, as the worker would), then shows it.
    expect(page.locator("#report-progress")).to_contain_text("Waiting to start")
    run_queued_tasks()
    expect(page.locator("#indicators")).to_be_visible(timeout=15000)
    with page.expect_download() as report:
        page.get_by_role("link", name="JSON (the network's data format)").click()
    data = json.loads(report.value.path().read_bytes())
    assert data["disclosure"] == "network" and data["scope"]["pilots"] == ["BG-CLA"]
    assert [(s["pilot"], s["source"]) for s in data["sources"]] == [("BG-CLA", "imported")]
