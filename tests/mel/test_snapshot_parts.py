"""Evaluation snapshots freeze the network-building indicators (NET-*) and the cost comparison
with the rest of the report (issue 14, section 5)."""

import datetime

import pytest

from engage.mel.cycles import services as cycles
from engage.network.factories import ActivityFactory
from engage.network.models import Activity
from tests.mel.terms import TERM

pytestmark = pytest.mark.django_db


def _net(report, indicator_id):
    return next(i for i in report["indicators"] if i["id"] == indicator_id)


def test_a_snapshot_freezes_the_net_indicators_and_a_later_record_does_not_change_them(
    nadia, organisation, bob
):
    cycle = cycles.define_cycle(by=nadia, data=TERM)
    ActivityFactory(kind="training", participants=12, participants_lived_experience=0,
                    date=datetime.date(2023, 3, 1), organisation=None, recorded_by=nadia)  # fmt: skip
    ActivityFactory(kind="concept_note", date=datetime.date(2023, 4, 1), organisation=None,
                    recorded_by=nadia)  # fmt: skip
    snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="network", source="live",
                                    pilots=[organisation.code])  # fmt: skip
    assert _net(snapshot.report, "NET-03")["numerator"] == 1  # the network's own training
    assert _net(snapshot.report, "NET-10")["numerator"] == 1
    assert "NET-14" in {i["id"] for i in snapshot.report["indicators"]}
    # A training recorded later for the same months shows in the next snapshot, not this one.
    ActivityFactory(kind="training", participants=5, participants_lived_experience=0,
                    date=datetime.date(2023, 5, 1), organisation=None, recorded_by=nadia)  # fmt: skip
    snapshot.refresh_from_db()
    assert _net(snapshot.report, "NET-03")["numerator"] == 1
    later = cycles.take_snapshot(cycle, "6m", by=nadia, level="network", source="live",
                                 pilots=[organisation.code])  # fmt: skip
    assert _net(later.report, "NET-03")["numerator"] == 2
    assert Activity.objects.count() == 3
    rows = {row["id"]: row for row in cycles.comparison(cycle)["indicators"]}
    assert rows["NET-03"]["name"] == "Trainings held"  # the part's name, not the id
    assert [cell["numerator"] for cell in rows["NET-03"]["cells"]] == [1, 2]


def test_a_snapshot_keeps_the_cost_comparison_as_computed(nadia, organisation):
    from engage.network.models import DetentionCost

    cost = DetentionCost.objects.create(country="BG", year=2023, amount="95.00", currency="EUR",
                                        source="Ministry answer", entered_by=nadia)  # fmt: skip
    cycle = cycles.define_cycle(by=nadia, data=TERM)
    snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="network", source="live",
                                    pilots=[organisation.code])  # fmt: skip
    [entry] = snapshot.report["cost_comparison"]["countries"]
    assert entry["country"] == "BG" and entry["detention"]["amount"] == "95.00"
    # A corrected figure entered later shows in the next snapshot, not in this one.
    cost.amount = "120.00"
    cost.save()
    snapshot.refresh_from_db()
    assert snapshot.report["cost_comparison"]["countries"][0]["detention"]["amount"] == "95.00"
    later = cycles.take_snapshot(cycle, "6m", by=nadia, level="network", source="live",
                                 pilots=[organisation.code])  # fmt: skip
    assert later.report["cost_comparison"]["countries"][0]["detention"]["amount"] == "120.00"
