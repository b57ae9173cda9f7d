"""The demo's stakeholders, activities and costs: made through the same services, and enough
for every NET-* and a cost comparison in the default report."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from engage.mel import services
from engage.mel.forms import last_month, months_before
from engage.network.models import Activity, DetentionCost, Interaction, ProgrammeBudget, Stakeholder

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_every_pilot_a_map_activities_and_costs(settings):
    settings.DEBUG = True
    call_command("seed_demo", cases_per_pilot=15, stdout=StringIO())
    call_command("seed_demo", cases_per_pilot=15, stdout=StringIO())  # idempotent
    stakeholders = Counter(Stakeholder.objects.values_list("organisation__code", flat=True))
    assert len(stakeholders) == 8 and stakeholders[None] == 3  # seven pilots and the network
    assert set(stakeholders.values()) == {8, 3}
    assert {s.stage for s in Stakeholder.objects.all()} == {"identified", "contacted", "engaged",
                                                           "partner"}  # fmt: skip
    assert Interaction.objects.filter(stakeholder__organisation__isnull=True).exists()
    assert len(set(Activity.objects.values_list("organisation", flat=True))) == 8
    assert DetentionCost.objects.count() == 7 and ProgrammeBudget.objects.count() == 7
    end = last_month()
    report = services.report_for(start=months_before(end, 12), end=end, pilots=[], source="live",
                                 level="exact")  # fmt: skip
    net = {i["id"]: i for i in report["indicators"] if i["id"].startswith("NET-")}
    assert len(net) == 14 and all(net[i]["numerator"] for i in net), net
    compared = {c["country"]: c for c in report["cost_comparison"]["countries"]}
    assert compared["BG"]["compared"] is True
    assert compared["PL"]["reason"] == "currencies_differ"
    # The network's evaluation cycle: the six-month questionnaire answered and closed, its
    # results shown (six answers, above the threshold); this month's open, on the home page of
    # those who have not answered it yet.
    from engage.accounts.models import User
    from engage.mel.cycles import feedback
    from engage.mel.models import EvaluationCycle, FeedbackAnswer

    (cycle,) = EvaluationCycle.objects.all()
    closed = cycle.questionnaires.get(point="6m")
    assert not closed.is_open and FeedbackAnswer.objects.filter(questionnaire=closed).count() == 6
    assert feedback.results(closed)["shown"] is True
    (waiting,) = feedback.waiting_for(User.objects.get(username="be-jrs-sup"))
    assert waiting.point == "midterm" and waiting.is_open
