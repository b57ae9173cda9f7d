"""Each pilot's source in the network's report and dashboard (issue 14, section 3): its live
cases on this instance, read in memory and never stored, or its imported submission; the
source of each pilot named with its date."""

import json

import pytest
from django.urls import reverse

from engage.accounts.models import User
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.mel import services, sources
from engage.mel.dataset import submission
from engage.mel.forms import last_month
from engage.mel.models import SubmissionRows
from engage.mel.report import indicators
from tests.mel import reports
from tests.mel.rows import held_rows, row
from tests.sqlite_template import seed_demo

pytestmark = pytest.mark.django_db

END = days_ago(0).strftime("%Y-%m")  # the live cases are referred in the last weeks


@pytest.fixture
def live_cases(organisation, alice, bob):
    """Six active clients of Alice's organisation (BG-CLA) on this instance."""
    return [
        to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)[0]
        for _ in range(6)
    ]


@pytest.fixture
def imported(tmp_path):
    """Submissions up to 2024-06 of BG-CLA (this instance's pilot too) and CY-CYRC."""
    for pilot, rows in (
        ("BG-CLA", [row(n, inclusion_month="2024-02") for n in range(1, 21)]),
        ("CY-CYRC", [row(100 + n, pilot="CY-CYRC", city="Nicosia") for n in range(12)]),
    ):
        folder = tmp_path / pilot
        submission.write(folder, pilot, "2024-06", rows)
        services.import_submission(folder)


def _by_pilot(chosen) -> dict:
    return {entry.pilot: entry for entry in chosen}


def test_it_reads_a_pilot_with_cases_here_live_unless_a_submission_reaches_the_end(
    live_cases, imported
):
    later = _by_pilot(sources.choose(None, end=END))
    assert (later["BG-CLA"].source, later["BG-CLA"].period_end) == ("live", END)
    assert (later["CY-CYRC"].source, later["CY-CYRC"].period_end) == ("imported", "2024-06")
    assert later["CY-CYRC"].imported_at
    covered = _by_pilot(sources.choose(None, end="2024-06"))
    assert covered["BG-CLA"].source == "imported"  # its submission reaches the period's end
    chosen = _by_pilot(sources.choose(None, end="2024-06", overrides={"BG-CLA": "live"}))
    assert chosen["BG-CLA"].source == "live" and chosen["BG-CLA"].chosen


def test_the_source_named_is_the_submission_read_even_an_empty_one(imported, tmp_path):
    """A pilot that later sent an empty submission (no enrollment yet, or none left): a report
    ending before it reads it, as the spec says, and the dashboard names that one, not the
    earlier one with rows."""
    submission.write(tmp_path / "empty", "CY-CYRC", "2024-09", [])
    services.import_submission(tmp_path / "empty")

    named = _by_pilot(sources.choose(["CY-CYRC"], end="2024-08"))["CY-CYRC"]
    (read,) = services.submissions_read(["CY-CYRC"], "2024-08")

    assert named.period_end == read["period_end"] == "2024-09"
    assert services.imported_rows(["CY-CYRC"], end="2024-08") == []
    earlier = _by_pilot(sources.choose(["CY-CYRC"], end="2024-06"))["CY-CYRC"]
    assert earlier.period_end == "2024-06"  # the one with rows, for a report ending with it


def test_the_network_dashboard_labels_each_pilots_source_and_date(
    as_user, nadia, live_cases, imported
):
    response = as_user(nadia).get(reverse("mel:network"), {"end": END})
    assert response.status_code == 200
    read = {entry.pilot: entry.source for entry in response.context["sources"]}
    assert read == {"BG-CLA": "live", "CY-CYRC": "imported"}
    page = response.content.decode()
    assert f"Live cases of this instance, as of {END}" in page
    assert "Imported submission up to 2024-06" in page
    # A pilot read live need not have submitted: it is not named as missing.
    assert [entry["pilot"] for entry in response.context["missing"]] == ["CY-CYRC"]
    lines = [line["key"] for line in response.context["per_pilot"]["lines"]]
    assert lines == ["BG-CLA", "CY-CYRC"]
    # The coordinator's choice for a pilot, from the dashboard's own form.
    chosen = as_user(nadia).get(reverse("mel:network"), {"end": END, "from_BG-CLA": "imported"})
    read = {entry.pilot: entry.source for entry in chosen.context["sources"]}
    assert read == {"BG-CLA": "imported", "CY-CYRC": "imported"}
    assert "(your choice)" in chosen.content.decode()


def test_the_report_names_its_sources_and_applies_the_same_disclosure(
    as_user, nadia, live_cases, imported
):
    data = {"start": "2024-01", "end": END, "source": "auto", "disclosure": "network"}
    page = reports.made(as_user(nadia), data)
    result = json.loads(as_user(nadia).get(f"{page}json/").content)
    assert [(s["pilot"], s["source"], s["period_end"]) for s in result["sources"]] == [
        ("BG-CLA", "live", END),
        ("CY-CYRC", "imported", "2024-06"),
    ]
    assert result["disclosure"] == "network"
    # The same figures as the report of the same rows, through the same disclosure control.
    rows = [*services.rows_for(["BG-CLA"], source="live", end=END),
            *services.rows_for(["CY-CYRC"], source="imported", end=END)]  # fmt: skip
    expected = services.report(rows, start="2024-01", end=END,
                               pilots=["BG-CLA", "CY-CYRC"], level="network",
                               baseline=indicators.baseline_before("2024-01", END))  # fmt: skip
    shown = {item["id"]: item for item in result["indicators"]}
    for item in json.loads(json.dumps(expected["indicators"])):
        assert shown[item["id"]] == item
    html = as_user(nadia).get(f"{page}html/")
    page = html.content.decode()
    assert f"BG-CLA: live cases of this instance, as of {END}" in page
    assert "CY-CYRC: imported submission up to 2024-06" in page


def test_live_reads_store_nothing_and_are_audited(as_user, nadia, live_cases, imported):
    stored = list(SubmissionRows.objects.order_by("pk").values_list("pk", "payload"))
    as_user(nadia).get(reverse("mel:network"), {"end": END})
    services.report_for(start="2024-01", end=END, pilots=[], source="auto",
                        level="network", by=nadia)  # fmt: skip
    assert list(SubmissionRows.objects.order_by("pk").values_list("pk", "payload")) == stored
    assert not SubmissionRows.objects.filter(submission__pilot="BG-CLA",
                                             submission__period_end=END)  # fmt: skip
    derived = AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, detail__startswith="network dataset derived live"
    )
    assert derived.count() == 2 and {e.actor_id for e in derived} == {nadia.pk}
    assert derived.filter(detail__contains=f"(network dashboard) as of {END}: BG-CLA").exists()


def test_pilot_staff_still_get_their_own_live_figures_only(as_user, bob, live_cases, imported):
    response = reports.downloaded(
        as_user(bob),
        {"start": "2024-01", "end": END, "source": "auto", "disclosure": "network",
         "from_CY-CYRC": "live"},
        "json",
    )  # fmt: skip
    result = json.loads(response.content)
    assert result["scope"] == {"pilots": ["BG-CLA"]}
    assert [s["source"] for s in result["sources"]] == ["live"]


# Transactional, to take the demo the round trips seeded (tests.sqlite_template.seed_demo: on
# SQLite seeded once for the code and the day, then copied) rather than seeding it again.
@pytest.mark.django_db(transaction=True)
def test_a_fresh_demo_network_dashboard_has_figures(client, settings):
    settings.DEBUG = True  # seed_demo refuses to run on a production instance
    seed_demo(cases_per_pilot=40)
    coordinator = User.objects.get(username="network")
    client.force_login(coordinator)
    response = client.get(reverse("mel:network"))
    assert response.status_code == 200
    assert response.context["report"]["period"]["end"] == last_month()
    assert response.context["report"]["has_data"]
    assert {entry.source for entry in response.context["sources"]} == {"live"}
    assert len(response.context["per_pilot"]["lines"]) == 7
    assert not held_rows()
    assert "There is no data for this period" not in response.content.decode()
