"""NET-01..NET-13 on a fixture computed by hand (docs/indicators.md, network building)."""

import datetime

import pytest

from engage.network import indicators, services
from engage.network.factories import ActivityFactory, StakeholderFactory
from engage.network.models import Activity, Stakeholder

D = datetime.date


def _results(start="2024-01", end="2024-06"):
    stakeholders = Stakeholder.objects.prefetch_related("stages").select_related("organisation")
    activities = Activity.objects.select_related("organisation")
    return {r.id: r for r in indicators.compute(activities, stakeholders, start, end)}


@pytest.fixture
def fixture(organisation, bob, nadia):
    """Period 2024-01..2024-06. Activities before, in and after it, of a pilot and the network."""
    mine = {"organisation": organisation, "recorded_by": bob}
    network = {"organisation": None, "recorded_by": nadia}
    # NET-01 / NET-11: two pilots started in the period (one city, one country), one before.
    ActivityFactory(kind="pilot_started", expansion="new_city", date=D(2024, 2, 1), **mine)
    ActivityFactory(kind="pilot_started", expansion="new_country", country="GR",
                    date=D(2024, 6, 30), **network)  # fmt: skip
    ActivityFactory(kind="pilot_started", expansion="new_city", date=D(2023, 12, 31), **mine)
    ActivityFactory(kind="pilot_explored", expansion="new_city", date=D(2024, 5, 5), **mine)
    # NET-03 / 07 / 08: three trainings in the period (20+10+5 participants, 4+0+1 with
    # lived experience), one after it.
    ActivityFactory(kind="training", participants=20, participants_lived_experience=4,
                    date=D(2024, 1, 1), **mine)  # fmt: skip
    ActivityFactory(kind="training", participants=10, participants_lived_experience=0,
                    date=D(2024, 3, 3), **mine)  # fmt: skip
    ActivityFactory(kind="training", participants=5, participants_lived_experience=1,
                    date=D(2024, 4, 4), **network)  # fmt: skip
    ActivityFactory(kind="training", participants=99, participants_lived_experience=9,
                    date=D(2024, 7, 1), **mine)  # fmt: skip
    # NET-04 / 09: three presentations, two high-profile (one of them invited).
    ActivityFactory(kind="presentation", high_profile=True, invited=True, date=D(2024, 2, 2),
                    **mine)  # fmt: skip
    ActivityFactory(kind="presentation", high_profile=True, date=D(2024, 2, 3), **network)
    ActivityFactory(kind="presentation", date=D(2024, 2, 4), **mine)
    # NET-05, 10, 12: one each in the period.
    ActivityFactory(kind="le_initiative", date=D(2024, 6, 1), **mine)
    ActivityFactory(kind="concept_note", date=D(2024, 6, 2), **mine)
    ActivityFactory(kind="concept_note", date=D(2023, 6, 2), **mine)
    ActivityFactory(kind="funding", date=D(2024, 6, 3), **network)
    # NET-06: involvement overlapping the period counts (3 + 2); ended before it does not (7),
    # started after it does not (11).
    ActivityFactory(kind="le_case_work", people=3, date=D(2023, 1, 1), **mine)
    ActivityFactory(kind="le_case_work", people=2, date=D(2023, 1, 1), end_date=D(2024, 1, 1),
                    **mine)  # fmt: skip
    ActivityFactory(kind="le_case_work", people=7, date=D(2023, 1, 1), end_date=D(2023, 12, 31),
                    **mine)  # fmt: skip
    ActivityFactory(kind="le_case_work", people=11, date=D(2024, 7, 1), **mine)
    # NET-02 / 13: stages over time.
    ministry = StakeholderFactory(organisation=organisation, created_by=bob, since=D(2023, 5, 1))
    services.change_stage(ministry, by=bob, stage="engaged", date=D(2023, 9, 1))
    city = StakeholderFactory(organisation=organisation, created_by=bob, actor_type="local_authority",
                              level="local", since=D(2024, 1, 10))  # fmt: skip
    services.change_stage(city, by=bob, stage="contacted", date=D(2024, 2, 1))
    services.change_stage(city, by=bob, stage="partner", date=D(2024, 5, 1))
    unhcr = StakeholderFactory(organisation=None, created_by=nadia, actor_type="un_agency",
                               level="international", country="")  # fmt: skip
    services.change_stage(unhcr, by=nadia, stage="engaged", date=D(2024, 7, 2))  # after
    court = StakeholderFactory(organisation=organisation, created_by=bob, actor_type="judiciary")
    services.change_stage(court, by=bob, stage="partner", date=D(2024, 3, 1))
    services.change_stage(court, by=bob, stage="contacted", date=D(2024, 6, 1))  # fell back


def _by(result, dimension):
    return {cell["key"]: cell["numerator"] for cell in result.by[dimension]}


@pytest.mark.django_db
def test_it_counts_each_indicator_as_computed_by_hand(fixture):
    r = _results()
    assert r["NET-01"].numerator == 2
    assert _by(r["NET-01"], "expansion") == {"new_city": 1, "new_country": 1}
    assert _by(r["NET-01"], "owner") == {"BG-CLA": 1, "network": 1}
    assert _by(r["NET-01"], "country") == {"BG": 1, "GR": 1}
    # Engaged or partner at 2024-06-30: the ministry (engaged since 2023) and the city
    # (partner); the court fell back to contacted, UNHCR was engaged only in July.
    assert r["NET-02"].numerator == 2
    assert _by(r["NET-02"], "stage") == {"engaged": 1, "partner": 1}
    assert r["NET-03"].numerator == 3
    assert r["NET-04"].numerator == 2
    assert _by(r["NET-04"], "invited") == {"false": 1, "true": 1}
    assert r["NET-05"].numerator == 1
    assert r["NET-06"].numerator == 5
    assert (r["NET-07"].numerator, r["NET-07"].denominator, r["NET-07"].value) == (5, 35, 14.3)
    assert _by(r["NET-07"], "owner") == {"BG-CLA": 4, "network": 1}
    assert r["NET-08"].numerator == 2
    assert r["NET-09"].numerator == 3
    assert _by(r["NET-09"], "high_profile") == {"false": 1, "true": 2}
    assert r["NET-10"].numerator == 1
    assert r["NET-11"].numerator == 1
    assert r["NET-12"].numerator == 1
    # First engaged or partner in the period: the city (May) and the court (March).
    assert r["NET-13"].numerator == 2
    assert _by(r["NET-13"], "actor_type") == {"judiciary": 1, "local_authority": 1}


@pytest.mark.django_db
def test_it_takes_the_stage_as_it_stood_at_the_end_of_the_period(fixture):
    r = _results("2024-03", "2024-03")
    # In March the court was a partner and the city contacted.
    assert _by(r["NET-02"], "stage") == {"engaged": 1, "partner": 1}
    assert _by(r["NET-02"], "actor_type") == {"judiciary": 1, "national_authority": 1}


@pytest.mark.django_db
def test_it_gives_zero_and_no_percentage_for_an_empty_period(fixture):
    r = _results("2020-01", "2020-12")
    assert all(r[i].numerator == 0 for i in r)
    assert r["NET-07"].value is None
