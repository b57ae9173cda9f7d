"""Issue 10, item 17 (red team): a month typed into the evidence pages (`YYYY-MM`) is a date at
the edge like any other: year 1 or 9999 is refused with a clear error, not computed month by
month for ten thousand years."""

import pytest
from django.urls import reverse

from engage.mel.forms import DashboardForm, ReportForm
from tests.mel.test_views import live_cases  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def test_it_refuses_a_report_from_year_1_to_year_9999(bob, nadia):
    for user in (bob, nadia):
        form = ReportForm(
            {"start": "0001-01", "end": "9999-12", "baseline_start": "0001-01",
             "baseline_end": "0002-01", "source": "live", "disclosure": "network",
             "format": "json"},
            user=user,
        )  # fmt: skip
        assert not form.is_valid()
        for field in ("start", "end", "baseline_start", "baseline_end"):
            assert "1900" in str(form.errors[field])


def test_a_dashboard_asked_for_ten_thousand_years_shows_the_default_period(
    as_user,
    bob,
    live_cases,  # noqa: F811
):
    form = DashboardForm({"start": "0001-01", "end": "9999-12"}, user=bob, default_end="2024-06")
    assert form.period() == ("2023-07", "2024-06", "network")
    response = as_user(bob).get(reverse("mel:pilot"), {"start": "0001-01", "end": "9999-12"})
    assert response.status_code == 200


def test_it_refuses_an_evaluation_cycle_of_ten_thousand_years(nadia):
    from django.core.exceptions import ValidationError

    from engage.mel.cycles import services as cycles

    data = {"name": "Forever", "period_start": "0001-01", "baseline": "0001-02",
            "six_months": "0001-08", "midterm": "2024-01", "end_of_term": "9999-12"}  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        cycles.define_cycle(by=nadia, data=data)
    assert set(refused.value.message_dict) == {"period_start", "baseline", "six_months",
                                               "end_of_term"}  # fmt: skip
