"""Every indicator computed by hand on a small cohort (shared/spec/indicators.md)."""

from engage.mel.report.indicators import baseline_before, compute, percentage
from tests.mel.rows import row

START, END = "2024-01", "2024-06"

ROWS = [
    # 1 active, engaged, two assessments, improved on idm only, 10 contacts of which 6 in person
    row(1, person_ref="a" * 64, inclusion_month="2023-05", vulnerable="true",
        vulnerabilities="health", idm_baseline="2", idm_latest="4", engage_baseline="3",
        engage_latest="3", wellbeing_baseline="3", wellbeing_latest="2", assessments="2",
        contacts="10", face_to_face_contacts="6", detention_at_referral="released"),
    # 2 the same person in another pilot: counted once by BEN-04
    row(2, pilot="CY-CYRC", city="Nicosia", person_ref="a" * 64, inclusion_month="2024-02",
        contacts="4", face_to_face_contacts="1"),
    # 3 new in the period, active but disengaged, outcome reached (protection)
    row(3, inclusion_month="2024-03", engagement_level="disengaged", outcome="protection",
        outcome_permanence="permanent", sex="male", detention_at_referral="in_detention"),
    # 4 closed in the period as absconded
    row(4, status="closed", closure_month="2024-04", closure_reason="absconded"),
    # 5 closed in the period: forcibly removed
    row(5, status="closed", closure_month="2024-05", closure_reason="removed"),
    # 6 closed AFTER the period end as disengaged: still active and engaged at END
    row(6, status="closed", closure_month="2024-09", closure_reason="disengaged",
        engagement_level="compliant", outcome="regularisation", outcome_permanence="temporary"),
    # 7 deceased: out of the cohort
    row(7, status="closed", closure_month="2024-02", closure_reason="deceased"),
    # 8 never included: out of the cohort
    row(8, included="false", inclusion_month=""),
    # 9 included after the period: out of the cohort
    row(9, inclusion_month="2024-08", referral_month="2024-07"),
    # 10 closed before the period as resolved with an outcome; ratings with one assessment
    row(10, inclusion_month="2022-01", referral_month="2021-12", status="closed",
        closure_month="2023-06", closure_reason="resolved", outcome="protection",
        outcome_permanence="permanent", idm_baseline="1", idm_latest="3", assessments="1"),
    # 11 in the baseline period (2023-07..2023-12) only, for GRO-01
    row(11, inclusion_month="2023-08"),
]  # fmt: skip


def _by_id(results):
    return {result.id: result for result in results}


def test_it_computes_every_indicator_as_the_spec_defines_it():
    results = _by_id(compute(ROWS, START, END, baseline_before(START, END)))
    cohort = 8  # rows 1-6, 10, 11
    assert results["BEN-03"].numerator == cohort
    assert results["BEN-01"].numerator == 5  # rows 1, 2, 3, 6 (closes later) and 11
    assert results["BEN-02"].numerator == 2  # rows 2 and 3
    assert results["BEN-04"].numerator == cohort - 1  # rows 1 and 2 are one person
    assert (results["BEN-05"].numerator, results["BEN-05"].denominator) == (2, cohort)
    assert results["BEN-06"].numerator == cohort - 1
    eng = [results[i].numerator for i in ("ENG-01", "ENG-02", "ENG-03")]
    assert eng == [5, 2, 1]  # disengaged: 3 (active, disengaged) and 4 (absconded)
    assert sum(eng) == cohort
    assert results["ENG-01"].value == percentage(5, 8) == 62.5
    assert (results["RES-01"].numerator, results["RES-01"].value) == (3, 37.5)
    types = {c["key"]: c["numerator"] for c in results["RES-02"].by["outcome"]}
    assert types["protection"] == 2 and types["regularisation"] == 1 and sum(types.values()) == 3
    assert (results["CAP-01"].numerator, results["CAP-01"].denominator) == (1, 1)
    assert (results["CAP-02"].numerator, results["CAP-02"].denominator) == (0, 1)
    assert (results["CAP-03"].numerator, results["CAP-03"].value) == (0, 0.0)
    assert (results["CAP-04"].numerator, results["CAP-04"].denominator) == (1, cohort)
    assert (results["CON-01"].numerator, results["CON-01"].denominator) == (7, 14)
    assert results["CON-01"].value == 50.0
    # Baseline 2023-07..2023-12: one new client (row 11); the period: two.
    assert (results["GRO-01"].numerator, results["GRO-01"].denominator) == (1, 1)
    assert results["GRO-01"].value == 100.0


def test_its_breakdowns_add_up_to_the_indicator():
    results = _by_id(compute(ROWS, START, END))
    for result in results.values():
        for dimension, cells in result.by.items():
            if result.id == "RES-02":
                continue
            assert sum(c["numerator"] for c in cells) == result.numerator, (result.id, dimension)
    by_pilot = {c["key"]: c["numerator"] for c in results["BEN-03"].by["pilot"]}
    assert by_pilot == {"BG-CLA": 7, "CY-CYRC": 1}
    by_country = {c["key"]: c["numerator"] for c in results["BEN-03"].by["country"]}
    assert by_country == {"BG": 7, "CY": 1}


def test_it_rounds_half_up_and_gives_no_value_without_a_denominator():
    assert percentage(1, 8) == 12.5
    assert percentage(1, 3) == 33.3
    assert percentage(2, 3) == 66.7
    assert percentage(1, 16) == 6.3  # 6.25 rounds half up, not to even
    assert percentage(0, 0) is None


def test_an_empty_period_gives_no_values():
    results = _by_id(compute([], START, END))
    assert results["BEN-03"].numerator == 0 and results["ENG-01"].value is None


def test_the_baseline_is_the_period_of_the_same_length_before():
    assert baseline_before("2024-01", "2024-06") == ("2023-07", "2023-12")
    assert baseline_before("2024-03", "2025-02") == ("2023-03", "2024-02")


def test_its_breakdowns_are_the_ones_worked_out_by_hand():
    results = _by_id(compute(ROWS, START, END))

    def cells(indicator, dimension):
        return {c["key"]: (c["numerator"], c["denominator"], c["value"])
                for c in results[indicator].by[dimension]}  # fmt: skip

    # BG-CLA cohort: rows 1, 3, 4, 5, 6, 10, 11, engaged 1, 6, 10, 11; Cyprus: row 2, engaged.
    assert cells("ENG-01", "pilot") == {"BG-CLA": (4, 7, 57.1), "CY-CYRC": (1, 1, 100.0)}
    assert cells("ENG-01", "country") == {"BG": (4, 7, 57.1), "CY": (1, 1, 100.0)}
    assert cells("ENG-01", "city") == {"Sofia": (4, 7, 57.1), "Nicosia": (1, 1, 100.0)}
    # Row 3 is the only man, active and disengaged; of 7 women, row 4 absconded.
    assert cells("ENG-02", "sex") == {"female": (1, 7, 14.3), "male": (1, 1, 100.0)}
    assert cells("BEN-05", "detention_at_referral") == {
        "at_risk": (0, 6, 0.0), "in_detention": (1, 1, 100.0), "released": (1, 1, 100.0),
    }  # fmt: skip
    # RES-02: one table of outcomes over the three rows with one (rows 3, 6 and 10).
    assert cells("RES-02", "outcome") == {
        "protection": (2, 3, 66.7), "regularisation": (1, 3, 33.3), "third_country": (0, 3, 0.0),
        "voluntary_return": (0, 3, 0.0), "temporary_status": (0, 3, 0.0), "other": (0, 3, 0.0),
    }  # fmt: skip
    # CAP-01 counts only rows with both ratings and two assessments: row 1 (vulnerable).
    assert cells("CAP-01", "vulnerable") == {"true": (1, 1, 100.0)}
    by_sex = {c["key"]: c["numerator"] for c in results["BEN-01"].by["sex"]}
    assert by_sex == {"female": 4, "male": 1}  # active at END: rows 1, 2, 6, 11 and row 3


def test_it_counts_deaths_and_empty_ratings_as_the_spec_says():
    rows = [
        # died in the period: out of the cohort, but a new client of the period (BEN-02)
        row(1, inclusion_month="2024-03", status="closed", closure_month="2024-04",
            closure_reason="deceased"),
        # died after the period: still in the cohort and active at its end
        row(2, status="closed", closure_month="2024-09", closure_reason="deceased"),
        # one latest rating missing: not in CAP-01's denominator
        row(3, idm_baseline="2", idm_latest="", assessments="2"),
        # both ratings, but a single assessment: not in it either
        row(4, idm_baseline="2", idm_latest="4", assessments="1"),
        # both, two assessments, no change: in the denominator only
        row(5, idm_baseline="3", idm_latest="3", engage_baseline="2", engage_latest="4",
            assessments="2"),
        # engage improved, well-being fell
        row(6, engage_baseline="1", engage_latest="5", wellbeing_baseline="4",
            wellbeing_latest="2", assessments="3"),
    ]  # fmt: skip
    results = _by_id(compute(rows, START, END))
    assert results["BEN-03"].numerator == 5 and results["BEN-01"].numerator == 5
    assert results["BEN-02"].numerator == 1
    assert [results[i].numerator for i in ("ENG-01", "ENG-02", "ENG-03")] == [5, 0, 0]
    assert (results["CAP-01"].numerator, results["CAP-01"].denominator) == (0, 1)
    assert (results["CAP-02"].numerator, results["CAP-02"].denominator) == (2, 2)
    cap03 = results["CAP-03"]
    assert (cap03.numerator, cap03.denominator, cap03.value) == (0, 1, 0.0)
    assert (results["CAP-04"].numerator, results["CAP-04"].value) == (3, 60.0)
    assert results["CON-01"].value is None  # no contact at all: no value, not 0%


def test_growth_can_be_negative_and_has_no_value_without_a_baseline():
    rows = [row(n, inclusion_month="2023-09") for n in range(3)] + [
        row(10 + n, inclusion_month="2024-02") for n in range(2)
    ]
    growth = _by_id(compute(rows, START, END, baseline_before(START, END)))["GRO-01"]
    assert (growth.numerator, growth.denominator, growth.value) == (-1, 3, -33.3)
    none = _by_id(compute(rows[3:], START, END, baseline_before(START, END)))["GRO-01"]
    assert (none.numerator, none.denominator, none.value) == (2, 0, None)
