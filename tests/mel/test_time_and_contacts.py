"""TIM-01 (time in programme) and CON-02 (contacts per client per month), computed by hand on
the cohort of test_indicators.py, and through the disclosure control (issue 14, section 5)."""

import pytest

from engage.mel.report import disclosure
from engage.mel.report.indicators import (
    baseline_before,
    compute,
    contact_frequency,
    median,
    months_in_programme,
    time_in_programme,
)
from tests.mel.rows import row
from tests.mel.test_indicators import END, ROWS, START

# Months in the programme at END (2024-06), inclusion and last month both counted:
#   1: 2023-05..2024-06 = 14   2: 2024-02..2024-06 = 5    3: 2024-03..2024-06 = 4
#   4: 2023-02..2024-04 = 15 (closed)   5: 2023-02..2024-05 = 16 (closed)
#   6: 2023-02..2024-06 = 17 (closes after END: active)  10: 2022-01..2023-06 = 18 (closed)
#  11: 2023-08..2024-06 = 11;  rows 7 (deceased), 8 (not included), 9 (later) are not counted.
MONTHS = [14, 5, 4, 15, 16, 17, 18, 11]


def _by_id(results):
    return {result.id: result for result in results}


def test_it_computes_the_time_in_programme_by_hand():
    tim = _by_id(compute(ROWS, START, END, baseline_before(START, END)))["TIM-01"]
    assert tim.numerator == 8  # the cohort: BEN-03
    # sorted: 4 5 11 14 | 15 16 17 18 -> (14 + 15) / 2
    assert tim.value == 14.5
    bands = {cell["key"]: cell["numerator"] for cell in tim.by["months"]}
    assert bands == {"1-3": 0, "4-6": 2, "7-12": 1, "13-24": 5, "25+": 0}
    assert tim.as_dict()["value"] == 14.5 and "denominator" not in tim.as_dict()


def test_months_count_both_ends_and_stop_at_the_closure():
    assert months_in_programme(row(1, inclusion_month="2024-06"), "2024-06") == 1
    closed = row(2, inclusion_month="2023-11", closure_month="2024-02", status="closed",
                 closure_reason="resolved")  # fmt: skip
    assert months_in_programme(closed, "2024-06") == 4  # 2023-11, 12, 2024-01, 02
    assert months_in_programme(closed, "2024-01") == 3  # closed after that end: to the end
    odd = row(3, inclusion_month="2024-03", closure_month="2024-01", status="closed",
              closure_reason="other")  # fmt: skip
    assert months_in_programme(odd, "2024-06") == 1  # closed before its inclusion: not under 1
    assert median([]) is None and median([3]) == 3.0 and median([1, 2, 9]) == 2.0
    assert time_in_programme([], "2024-06").value is None


def test_it_computes_contacts_per_client_per_month_by_hand():
    con = _by_id(compute(ROWS, START, END, baseline_before(START, END)))["CON-02"]
    assert sum(MONTHS) == 100
    assert (con.numerator, con.denominator) == (14, 100)  # CON-01's contacts, client-months
    assert con.value == 0.1  # 0.14
    # Rounded half up: 3 contacts over 2 + 18 months = 0.15 -> 0.2; 6 over 4 = 1.5
    rows = [row(1, inclusion_month="2024-05", contacts="3", face_to_face_contacts="1"),
            row(2, inclusion_month="2022-07", status="closed", closure_month="2023-12",
                closure_reason="resolved")]  # fmt: skip
    assert contact_frequency(rows, "2024-06").value == 0.2
    assert contact_frequency(rows[:1], "2024-07").value == 1.0  # 3 over 3 months
    assert (
        contact_frequency([row(3, inclusion_month="2024-03", contacts="6")], "2024-06").value == 1.5
    )
    assert contact_frequency([], "2024-06").value is None


def _shown(rows, level):
    keys = disclosure.Perturbation(b"test secret") if level != "exact" else None
    computed = compute(rows, START, END, baseline_before(START, END), keys=keys)
    return {i["id"]: i for i in disclosure.apply([r.as_dict() for r in computed], level)}


def test_exact_shows_the_median_bands_and_rate_as_computed():
    shown = _shown(ROWS, "exact")
    assert shown["TIM-01"]["value"] == 14.5 and shown["TIM-01"]["numerator"] == 8
    assert shown["CON-02"]["value"] == 0.1 and shown["CON-02"]["denominator"] == 100


@pytest.mark.parametrize(("level", "minimum"), [("network", 10), ("public", 20)])
def test_a_small_cohort_has_no_median_and_no_rate(level, minimum):
    shown = _shown(ROWS, level)  # a cohort of 8 (perturbed by up to 2): under either minimum
    tim, con = shown["TIM-01"], shown["CON-02"]
    assert tim["value"] is None and tim["withheld"] is True
    assert con["value"] is None and con["denominator"] is None and con["withheld"] is True
    # the cohort is one quantity: TIM-01's clients are BEN-03 as shown
    assert repr(tim["numerator"]) == repr(shown["BEN-03"]["numerator"])
    for cell in tim["by"]["months"]:
        assert not (isinstance(cell["numerator"], int) and 1 <= cell["numerator"] < minimum / 2)


def test_a_large_cohort_shows_the_median_and_a_perturbed_rate():
    rows = [
        row(n, inclusion_month=f"2023-{(n % 12) + 1:02d}", contacts=str(n % 7),
            face_to_face_contacts="0")
        for n in range(1, 41)
    ]  # fmt: skip
    exact = _shown(rows, "exact")
    shown = _shown(rows, "network")
    assert shown["TIM-01"]["value"] == exact["TIM-01"]["value"]  # the median is not perturbed
    assert shown["TIM-01"]["numerator"] == shown["BEN-03"]["numerator"]
    con, true = shown["CON-02"], exact["CON-02"]
    assert con["numerator"] == shown["CON-01"]["denominator"]  # one count, one draw
    assert abs(con["numerator"] - true["numerator"]) <= disclosure.NOISE_LIMIT
    assert abs(con["denominator"] - true["denominator"]) <= disclosure.MONTHS_NOISE
    assert con["value"] == round(con["numerator"] / con["denominator"] + 1e-9, 1)
    # The bands add up to the cohort as shown within the noise, and no small band is shown.
    bands = [cell["numerator"] for cell in shown["TIM-01"]["by"]["months"]]
    assert all(not (isinstance(b, int) and 1 <= b <= 4) for b in bands)
    # The same rows give the same numbers.
    assert _shown(list(reversed(rows)), "network")["CON-02"] == con


def test_spread_stays_within_its_limit_and_uses_all_of_it():
    offsets = {disclosure.spread(key * 7919, 24) for key in range(5000)}
    assert offsets == set(range(-24, 25))


def test_the_dashboards_show_the_reports_median_rate_and_bands():
    from django.template.loader import render_to_string

    from engage.mel.report import dashboards

    report = {"indicators": list(_shown(ROWS, "exact").values())}
    programme = dashboards.programme(report)
    lines = {line["id"]: line["cell"] for line in programme["lines"]}
    assert lines["TIM-01"].text == "14.5" and lines["CON-02"].text == "0.1"
    assert lines["CON-01"].text == "50.0%"
    bars = {bar["label"]: bar["text"] for bar in programme["months_chart"]["bars"]}
    assert bars == {"1-3": "0", "4-6": "2", "7-12": "1", "13-24": "5", "25+": "0"}
    html = render_to_string("mel/_programme.html", {"programme": programme})
    assert "14.5" in html and "Contacts per client per month" in html
    small = dashboards.programme({"indicators": list(_shown(ROWS, "network").values())})
    assert {line["id"]: line["cell"].text for line in small["lines"]}["TIM-01"] == "withheld"


# GRO-02: growth in clients supported ("total beneficiaries"), against the baseline period
# 2023-07..2023-12. Supported in a period: included by its end and not closed before its start.
#   period 2024-01..06: rows 1, 2, 3, 4 (closed 04), 5 (closed 05), 6, 11; 7 closed (deceased) in
#   2024-02: supported in the period too; 10 closed 2023-06: no; 8, 9: no  -> 8
#   baseline 2023-07..12: 1 (incl 2023-05), 4, 5, 6, 7 (incl 2023-02), 11 (incl 2023-08) -> 6;
#   2 and 3 not yet included, 10 closed 2023-06 -> (8 - 6) / 6 = 33.3%


def test_it_computes_growth_in_clients_supported_by_hand():
    results = _by_id(compute(ROWS, START, END, baseline_before(START, END)))
    growth = results["GRO-02"]
    assert (growth.numerator, growth.denominator, growth.value) == (2, 6, 33.3)
    assert results["GRO-01"].numerator == 1  # new clients: 2 against 1
    assert _by_id(compute(ROWS, START, END))["GRO-02"].value is None  # no baseline


def test_growth_in_clients_supported_is_withheld_over_a_small_baseline():
    shown = _shown(ROWS, "network")["GRO-02"]
    assert shown["value"] is None and shown["withheld"] is True  # 6 people: under the minimum
    exact = _shown(ROWS, "exact")["GRO-02"]
    assert (exact["numerator"], exact["denominator"], exact["value"]) == (2, 6, 33.3)
