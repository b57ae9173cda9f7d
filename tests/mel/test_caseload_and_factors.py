"""CAS-01 (caseload per case manager) and ENG-04 (disengagement factors), from the dataset's
version 2 columns, computed by hand and through the disclosure control (issue 14, section 5)."""

import pytest

from engage.cases.models.closure import DisengagementFactor
from engage.mel.dataset import rows as dataset_rows
from engage.mel.report import disclosure
from engage.mel.report.indicators import (
    DISENGAGEMENT_CODES,
    baseline_before,
    caseload_per_case_manager,
    compute,
)
from tests.mel.rows import row

START, END = "2024-01", "2024-06"
A, B, C = "a" * 16, "b" * 16, "c" * 16

# Active clients per case manager at END (2024-06):
#   BG-CLA A: rows 1, 2, 3 active; row 4 closed in 2024-03 (not counted); row 5 closes after
#             END (2024-09), so still active at END: 4
#   BG-CLA B: rows 10..21, twelve active: 12
#   BG-CLA C: row 30: 1
#   CY-CYRC A: the same ref in another pilot is another person (each pilot keys its own): rows
#             40, 41: 2
#   row 50: active without a case manager; row 51: included after END; neither counted.
# Caseloads 1, 2, 4, 12 -> 4 case managers, median (2 + 4) / 2 = 3.0; bands 1-10: 3, 11-20: 1.
CASELOAD_ROWS = [
    *(row(n, case_manager_ref=A) for n in (1, 2, 3)),
    row(4, case_manager_ref=A, status="closed", closure_month="2024-03", closure_reason="resolved"),
    row(5, case_manager_ref=A, status="closed", closure_month="2024-09", closure_reason="resolved"),
    *(row(n, case_manager_ref=B) for n in range(10, 22)),
    row(30, case_manager_ref=C),
    *(row(n, pilot="CY-CYRC", city="Nicosia", case_manager_ref=A) for n in (40, 41)),
    row(50),
    row(51, case_manager_ref=C, inclusion_month="2024-08", referral_month="2024-07"),
]  # fmt: skip

# Disengaged at END (ENG-02's rule), and their factors:
#   60 absconded in 2024-02 with fear and trust; 61 disengaged in 2024-05 with fear;
#   62 active, disengaged at the latest review (no factor recorded at a review: not_recorded);
#   63 closed as disengaged after END: engaged at END, not counted;
#   64 removed: ENG-03, not counted; 65 closed as resolved: not counted.
# -> 3 disengaged; fear 2, trust 1, not_recorded 1, every other factor 0.
FACTOR_ROWS = [
    row(60, status="closed", closure_month="2024-02", closure_reason="absconded",
        disengagement_factors="fear;trust"),
    row(61, status="closed", closure_month="2024-05", closure_reason="disengaged",
        disengagement_factors="fear"),
    row(62, engagement_level="disengaged"),
    row(63, status="closed", closure_month="2024-09", closure_reason="disengaged",
        disengagement_factors="moved"),
    row(64, status="closed", closure_month="2024-04", closure_reason="removed"),
    row(65, status="closed", closure_month="2024-04", closure_reason="resolved"),
]  # fmt: skip


def _by_id(rows, level="exact", secret=b"test secret"):
    keys = disclosure.Perturbation(secret) if level != "exact" else None
    computed = compute(rows, START, END, baseline_before(START, END), keys=keys)
    return {i["id"]: i for i in disclosure.apply([r.as_dict() for r in computed], level)}


def test_it_computes_the_caseload_per_case_manager_by_hand():
    cas = _by_id(CASELOAD_ROWS)["CAS-01"]
    assert cas["numerator"] == 4  # case managers with active clients
    assert cas["value"] == 3.0
    bands = {cell["key"]: cell["numerator"] for cell in cas["by"]["caseload"]}
    assert bands == {"1-10": 3, "11-20": 1, "21-30": 0, "31-40": 0, "41+": 0}
    assert "denominator" not in cas
    # an odd number of case managers: the middle caseload
    cohort = [r for r in CASELOAD_ROWS if r["pilot"] == "BG-CLA" and r["case_ref"] != f"{51:016x}"]
    assert caseload_per_case_manager(cohort, END).value == 4.0  # 1, 4, 12
    assert caseload_per_case_manager([], END).value is None


def test_the_case_managers_refs_never_leave_the_indicators():
    report = _by_id(CASELOAD_ROWS)
    assert A not in repr(report) and B not in repr(report) and C not in repr(report)


@pytest.mark.parametrize("level", ["network", "public"])
def test_a_caseload_over_few_case_managers_is_withheld(level):
    cas = _by_id(CASELOAD_ROWS, level)["CAS-01"]
    assert cas["value"] is None and cas["withheld"] is True  # 4 case managers
    small = disclosure.LEVELS[level].small
    assert cas["numerator"] in (small, 0, None) or cas["numerator"] > 4
    for cell in cas["by"]["caseload"]:
        assert not (isinstance(cell["numerator"], int) and 1 <= cell["numerator"] <= 4)


def test_a_caseload_over_enough_case_managers_is_shown_unperturbed():
    # Twelve case managers of one pilot with 3..14 active clients: median (8 + 9) / 2 = 8.5.
    rows, n = [], 0
    for manager in range(12):
        for _client in range(manager + 3):
            n += 1
            rows.append(row(n, case_manager_ref=f"{manager:016x}"))
    exact = _by_id(rows)["CAS-01"]
    assert (exact["numerator"], exact["value"]) == (12, 8.5)
    assert {c["key"]: c["numerator"] for c in exact["by"]["caseload"]}["1-10"] == 8
    shown = _by_id(rows, "network")["CAS-01"]
    assert shown["value"] == 8.5  # a median is not perturbed
    assert abs(shown["numerator"] - 12) <= disclosure.NOISE_LIMIT
    assert all(not (isinstance(c["numerator"], int) and 1 <= c["numerator"] <= 4)
               for c in shown["by"]["caseload"])  # fmt: skip
    assert _by_id(rows, "public")["CAS-01"]["value"] == 8.5  # 12 case managers: more than 9
    # Eight case managers (3..10 clients): more than 4 (network), not more than 9 (public).
    eight = [r for r in rows if int(r["case_manager_ref"], 16) < 8]
    assert _by_id(eight)["CAS-01"]["value"] == 6.5
    assert _by_id(eight, "network")["CAS-01"]["value"] == 6.5
    public = _by_id(eight, "public")["CAS-01"]
    assert public["value"] is None and public["withheld"] is True


def test_it_counts_the_disengagement_factors_by_hand():
    shown = _by_id(FACTOR_ROWS)
    eng = shown["ENG-04"]
    assert eng["numerator"] == 3 == shown["ENG-02"]["numerator"]
    factors = {cell["key"]: cell["numerator"] for cell in eng["by"]["factor"]}
    assert factors == {
        "negative_decision": 0, "fear": 2, "trust": 1, "basic_needs": 0, "health": 0,
        "moved": 0, "family": 0, "contact_lost": 0, "other": 0, "not_recorded": 1,
    }  # fmt: skip


def test_factor_counts_are_masked_and_the_disengaged_are_engs_as_shown():
    for secret in (b"one", b"two", b"three", b"four"):
        shown = _by_id(FACTOR_ROWS * 1, "network", secret)
        eng, eng2 = shown["ENG-04"], shown["ENG-02"]
        assert repr(eng["numerator"]) == repr(eng2["numerator"])  # one quantity, one number
        for cell in eng["by"]["factor"]:
            assert not (isinstance(cell["numerator"], int) and 1 <= cell["numerator"] <= 4)
    # More disengaged clients: the same count as ENG-02's after its perturbation and fitting.
    many = [row(n, engagement_level="disengaged") for n in range(100, 130)] + FACTOR_ROWS
    many += [row(n) for n in range(200, 230)]  # engaged: the rest of the cohort is not small
    many += [row(n, status="closed", closure_month="2024-03", closure_reason="removed")
             for n in range(300, 310)]  # nor is ENG-03  # fmt: skip
    for secret in (b"one", b"two", b"three"):
        shown = _by_id(many, "network", secret)
        assert shown["ENG-04"]["numerator"] == shown["ENG-02"]["numerator"]
        assert isinstance(shown["ENG-04"]["numerator"], int)
        # Fear and trust are under five: the table's other cells may be withheld with them
        # (secondary suppression treats the factors as a table adding up to the disengaged).
        not_recorded = shown["ENG-04"]["by"]["factor"][-1]
        assert not_recorded["numerator"] is None or abs(not_recorded["numerator"] - 31) <= 2


def test_the_factor_codes_are_the_datasets_and_the_closures():
    assert DISENGAGEMENT_CODES == dataset_rows.DISENGAGEMENT_CODES
    assert set(DISENGAGEMENT_CODES) == set(DisengagementFactor.values)
