"""A pilot's own report: reporting days met (REP-01) and release requests made and granted
(REP-02), from its liaison records, by hand and through the disclosure control (issue 14,
section 5)."""

import datetime
import zoneinfo
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from engage.cases.factories import CaseFactory, to_active
from engage.liaison import report, services
from engage.mel.report import dashboards, disclosure
from tests.liaison.conftest import days_ago, liaise, weekly

pytestmark = pytest.mark.django_db

D = datetime.date


def _obligation(pk, start, frequency="weekly", interval=None, end=None):
    return SimpleNamespace(pk=pk, start_date=start, frequency=frequency, interval_days=interval,
                           end_date=end)  # fmt: skip


def _event(obligation, day, status):
    return SimpleNamespace(obligation_id=obligation, date=day, status=status)


def test_it_counts_the_reporting_days_met_by_hand():
    # January 2024. Obligation 1, weekly from Monday 1 January: the 1st, 8th, 15th, 22nd, 29th;
    # reported on the 1st and 8th, missed the 15th, excused the 22nd (left out), nothing on the
    # 29th (not met), and reported on the 10th too (a recorded day counts): 3 met of 5.
    # Obligation 2, monthly from 31 December, ended 15 January: no day in January.
    # Obligation 3, every 10 days from 25 January: the 25th (4 February is after the period),
    # nothing recorded: not met. -> 3 met of 6.
    obligations = [
        _obligation(1, D(2024, 1, 1)),
        _obligation(2, D(2023, 12, 31), "monthly", end=D(2024, 1, 15)),
        _obligation(3, D(2024, 1, 25), "other", interval=10),
    ]
    events = [
        _event(1, D(2024, 1, 1), "reported"),
        _event(1, D(2024, 1, 8), "reported"),
        _event(1, D(2024, 1, 10), "reported"),
        _event(1, D(2024, 1, 15), "missed"),
        _event(1, D(2024, 1, 22), "excused"),
        _event(2, D(2023, 12, 31), "reported"),  # before the period
    ]
    assert report.reporting_days(obligations, events, D(2024, 1, 1), D(2024, 1, 31)) == (3, 6)
    assert report.reporting_days(obligations[:1], [], D(2024, 1, 1), D(2024, 1, 14)) == (0, 2)


def test_release_requests_by_outcome_by_hand():
    outcomes = ["favourable", "partly", "unfavourable", "favourable"]
    rep = report.release_requests({str(n): outcome for n, outcome in enumerate(outcomes)})
    assert (rep["numerator"], rep["denominator"]) == (4, 4)
    by = {cell["key"]: (cell["numerator"], cell["value"]) for cell in rep["by"]["outcome"]}
    assert by["favourable"] == (2, 50.0) and by["partly"] == (1, 25.0)
    assert by["pending"] == (0, 0.0)
    assert report.release_requests({})["value"] is None


@pytest.fixture
def records(active_case, alice, office):
    """Weekly from 70 days ago: 11 reporting days up to today (70, 63, ..., 7, 0 days ago).
    6 reported, 1 missed, 1 excused (left out), 3 with nothing recorded: 6 met of 10.
    Three release requests: granted, partly granted, refused."""
    obligation = weekly(active_case, alice, days_ago(70))
    for n, status in (
        (70, "reported"),
        (63, "reported"),
        (56, "reported"),
        (49, "missed"),
        (42, "reported"),
        (35, "excused"),
        (28, "reported"),
        (21, "reported"),
    ):
        services.record_reporting(obligation, by=alice, date=days_ago(n), status=status)  # fmt: skip
    for n, outcome in ((5, "favourable"), (4, "partly"), (3, "unfavourable")):
        liaise(active_case, alice, office, categories=(), date=days_ago(n), outcome=outcome)
    return obligation


def _period():
    first = days_ago(70)
    return f"{first:%Y-%m}", f"{timezone.localdate():%Y-%m}"


def _compute(level, pilots=("BG-CLA",)):
    start, end = _period()
    computed = report.compute(start=start, end=end, pilots=list(pilots), level=level,
                              network=False)  # fmt: skip
    return {i["id"]: i for i in computed["indicators"]}


def test_it_computes_a_pilots_own_figures_exactly(records):
    shown = _compute("exact")
    assert (shown["REP-01"]["numerator"], shown["REP-01"]["denominator"]) == (6, 10)
    assert shown["REP-01"]["value"] == 60.0
    rep = shown["REP-02"]
    assert rep["numerator"] == 3
    by = {cell["key"]: cell["numerator"] for cell in rep["by"]["outcome"]}
    assert (by["favourable"], by["partly"], by["unfavourable"], by["pending"]) == (1, 1, 1, 0)


def _near(shown, true):
    """Whether a count shown at network level can be the true one perturbed, then masked."""
    return shown in ("<5", None) or (isinstance(shown, int) and abs(shown - true) <= 2)


def test_at_network_level_its_counts_are_perturbed_then_masked(records):
    shown, exact = _compute("network"), _compute("exact")
    for name in ("numerator", "denominator"):
        assert _near(shown["REP-01"][name], exact["REP-01"][name])
    rep = shown["REP-02"]
    assert _near(rep["numerator"], 3) and rep["numerator"] != 3  # three requests: never exact
    true = {cell["key"]: cell["numerator"] for cell in exact["REP-02"]["by"]["outcome"]}
    for cell in rep["by"]["outcome"]:
        assert cell["numerator"] in ("<5", 0, None)  # one request each, or none
        assert cell["numerator"] != 0 or true[cell["key"]] <= 2


def test_two_periods_subtracted_do_not_give_one_release_request_and_its_outcome(
    active_case, alice, office
):
    # Sixteen requests in one month (10 granted, 6 refused), one refused the next: the report of
    # both months minus the report of the first was that one request and its outcome, exactly.
    today = timezone.localdate()
    first, second = (today.replace(day=1) - datetime.timedelta(days=62)).replace(day=10), None
    second = (first + datetime.timedelta(days=31)).replace(day=10)
    for outcome, times in (("favourable", 10), ("unfavourable", 6)):
        for _n in range(times):
            liaise(active_case, alice, office, categories=(), date=first, outcome=outcome)
    liaise(active_case, alice, office, categories=(), date=second, outcome="unfavourable")

    def rep02(start, end):
        computed = report.compute(start=f"{start:%Y-%m}", end=f"{end:%Y-%m}", pilots=["BG-CLA"],
                                  level="network", network=False)  # fmt: skip
        rep = {i["id"]: i for i in computed["indicators"]}["REP-02"]
        return rep["numerator"], {c["key"]: c["numerator"] for c in rep["by"]["outcome"]}

    one, both = rep02(first, first), rep02(first, second)
    assert _near(one[0], 16) and _near(both[0], 17)
    # Each count of the longer period is a draw of its own: the difference of the two reports
    # is the second month's request only by chance, not whatever the secret key.
    differences = []
    for n in range(24):
        secret = disclosure.Perturbation(f"another secret {n}".encode())
        with mock.patch.object(disclosure.Perturbation, "of_instance", return_value=secret):
            a, b = rep02(first, first), rep02(first, second)
        refused = (b[1]["unfavourable"], a[1]["unfavourable"])  # "<5" or None: not known
        known = all(isinstance(count, int) for count in refused)
        differences.append((b[0] - a[0], refused[0] - refused[1] if known else None))
    assert len({total for total, _refused in differences}) > 1  # not always the one request
    # Both differences right for about one key in nine (two noises equal, twice), not for all.
    assert differences.count((1, 1)) <= 12, differences


def test_the_reports_contents_list_it_only_with_its_figures(records):
    start, end = _period()
    own = report.compute(start=start, end=end, pilots=["BG-CLA"], level="network", network=False)
    assert report.contents(own["data"]) == [
        ("reporting-and-release", "Reporting obligations and release requests")
    ]
    both = report.compute(start=start, end=end, pilots=["BG-CLA", "CY-CYRC"], level="network",
                          network=True)  # fmt: skip
    assert both == {"indicators": [], "data": None} and report.contents(both["data"]) == []


def test_it_is_only_in_a_report_of_one_pilot_of_this_instance(records, other_organisation):
    assert _compute("exact", ("BG-CLA", "CY-CYRC")) == {}
    assert _compute("exact", ("PL-SIP",)) == {}  # known from a submission only
    cy = _compute("exact", ("CY-CYRC",))  # another pilot: none of BG-CLA's records
    assert cy["REP-01"]["denominator"] == 0 and cy["REP-02"]["numerator"] == 0


def test_the_pilot_dashboard_shows_them_at_network_level(as_user, bob, alice, records):
    # A second client with many reporting days, so that the share can be shown.
    case, _plan = to_active(
        CaseFactory(organisation=records.case.organisation, case_manager=alice,
                    referral_date=days_ago(200)),
        alice, bob,
    )  # fmt: skip
    other = weekly(case, alice, days_ago(70))
    for n in range(7, 71, 7):  # 10 of its 11 days: nothing recorded for today
        services.record_reporting(other, by=alice, date=days_ago(n), status="reported")
    response = as_user(bob).get(reverse("mel:pilot"), {"start": _period()[0], "end": _period()[1]})
    lines = {
        line["id"]: line["cell"] for line in response.context["obligations"]["lines"] if line["id"]
    }
    # 6 + 10 met of 10 + 11 days (76.2%), each count perturbed at network level by up to 2, so
    # the share is shown, or withheld where the days not met come out at four or fewer.
    met, days = (int(n) if n.isdigit() else None for n in lines["REP-01"].detail.split(" / "))
    assert days is not None and abs(days - 21) <= 2
    if met is None:
        assert lines["REP-01"].text == "withheld"
    else:
        assert abs(met - 16) <= 2 and lines["REP-01"].text == f"{met / days * 100:.1f}%"
    assert lines["REP-02"].text in ("<5", "5")  # three requests
    assert "REP-01" not in {i["id"] for i in response.context["report"]["indicators"]}
    html = response.content.decode()
    assert "Reporting obligations and release requests" in html and lines["REP-01"].text in html
    assert dashboards.obligations({"indicators": []}) == {"lines": []}


def test_it_counts_no_reporting_day_before_it_came_where_the_organisation_works(
    settings, organisation, active_case, alice
):
    """At 22:30 UTC on 22 November a server in Sofia is on the 23rd; in London the weekly
    reporting from Monday 23 November is still to come: not yet missed."""
    settings.TIME_ZONE = "Europe/Sofia"
    organisation.time_zone = "Europe/London"
    organisation.save()
    with time_machine.travel(datetime.datetime(2026, 11, 22, 22, 30, tzinfo=datetime.UTC)):
        with timezone.override(zoneinfo.ZoneInfo("Europe/London")):
            weekly(active_case, alice, D(2026, 11, 23))
        computed = report.compute(start="2026-11", end="2026-11", pilots=["BG-CLA"],
                                  level="exact", network=False)  # fmt: skip
    rep = {i["id"]: i for i in computed["indicators"]}["REP-01"]
    assert (rep["numerator"], rep["denominator"]) == (0, 0)
