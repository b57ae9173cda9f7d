"""Disclosure control (R12): no count at or under the threshold is shown or derivable."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engage.mel.report import disclosure
from engage.mel.report.indicators import baseline_before, compute
from tests.mel.rows import row

LEVELS = [("network", 4, 10), ("public", 9, 20)]


def _rows_strategy():
    one = st.fixed_dictionaries(
        {
            "pilot": st.sampled_from(["BG-CLA", "CY-CYRC", "PL-SIP"]),
            "sex": st.sampled_from(["female", "male", "other", "unknown"]),
            "vulnerable": st.sampled_from(["true", "false"]),
            "detention_at_referral": st.sampled_from(["in_detention", "released", "at_risk", "none"]),
            "inclusion_month": st.sampled_from(["2023-08", "2024-02", "2024-05"]),
            "closure_reason": st.sampled_from(["", "", "", "resolved", "disengaged", "absconded", "removed", "deceased"]),
            "closure_month": st.sampled_from(["2024-05", "2024-05", "2024-09"]),
            "engagement_level": st.sampled_from(["active", "compliant", "disengaged"]),
            "outcome": st.sampled_from(["", "", "protection", "regularisation", "voluntary_return"]),
            "assessments": st.sampled_from(["0", "1", "2", "3"]),
            "idm": st.tuples(st.sampled_from(["", "1", "3"]), st.sampled_from(["", "2", "4"])),
            "contacts": st.tuples(st.integers(0, 3), st.integers(0, 3)),
        }
    )  # fmt: skip
    return st.lists(one, min_size=0, max_size=45)


def _make(specs):
    rows = []
    for n, spec in enumerate(specs):
        closed = bool(spec["closure_reason"])
        in_person, other = spec.get("contacts", (0, 0))
        rows.append(
            row(
                n,
                pilot=spec["pilot"],
                sex=spec["sex"],
                vulnerable=spec["vulnerable"],
                vulnerabilities="health" if spec["vulnerable"] == "true" else "",
                detention_at_referral=spec["detention_at_referral"],
                inclusion_month=spec.get("inclusion_month", "2023-02"),
                status="closed" if closed else "active",
                closure_month=spec.get("closure_month", "2024-03") if closed else "",
                closure_reason=spec["closure_reason"],
                engagement_level=spec["engagement_level"],
                outcome=spec["outcome"],
                outcome_permanence="permanent" if spec["outcome"] else "",
                assessments=spec["assessments"],
                idm_baseline=spec["idm"][0],
                idm_latest=spec["idm"][1],
                contacts=str(in_person + other),
                face_to_face_contacts=str(in_person),
            )
        )
    return rows


# The checks below are the reader's side: they do not use disclosure.py's own bookkeeping.

COUNTS_OF_CONTACTS = ("CON-01", "CON-02")
GROWTH = ("GRO-01", "GRO-02")
OVER_COHORT = ("BEN-05", "BEN-06", "ENG-01", "ENG-02", "ENG-03", "RES-01", "CAP-04")


def _tables(indicators):
    """Every (name, cells, total) a reader can add up: (cell, field) pairs and a total value."""
    by_id = {i["id"]: i for i in indicators}
    for indicator in indicators:
        if indicator["id"] in GROWTH or indicator["id"] == "CON-02":  # not tables
            continue
        for dimension, cells in indicator.get("by", {}).items():
            name = f"{indicator['id']} by {dimension}"
            yield name, [(c, "numerator") for c in cells], indicator.get("numerator")
            if "denominator" in indicator and dimension != "outcome":
                yield (
                    f"{name} (denominators)",
                    [(c, "denominator") for c in cells],
                    indicator["denominator"],
                )
    engagement = [by_id[i] for i in ("ENG-01", "ENG-02", "ENG-03")]
    yield "ENG", [(i, "numerator") for i in engagement], engagement[0]["denominator"]
    for dimension, cells in engagement[0]["by"].items():
        for position, cell in enumerate(cells):
            same = [(i["by"][dimension][position], "numerator") for i in engagement]
            yield f"ENG {dimension}={cell['key']}", same, cell["denominator"]


def _range(value, threshold):
    if isinstance(value, int):
        return value, value
    if isinstance(value, str):
        assert value == f"<{threshold + 1}", value
        return 1, threshold
    return 0, 10**9


def _reader_can_pin_a_hidden_cell(values, total, threshold) -> bool:
    if total == sum(v for v in values if isinstance(v, int)):
        return False  # the hidden cells are all zero: no count of people is given away
    ranges = [_range(v, threshold) for v in values]
    rest = total - sum(v for v in values if isinstance(v, int))
    hidden = [r for v, r in zip(values, ranges, strict=True) if not isinstance(v, int)]
    if not sum(low for low, _ in hidden) <= rest <= sum(high for _, high in hidden):
        return False  # perturbed cells that cannot add up to the total: nothing follows exactly
    for i, value in enumerate(values):
        if isinstance(value, int):
            continue
        others_low = sum(low for j, (low, _) in enumerate(ranges) if j != i)
        others_high = sum(high for j, (_, high) in enumerate(ranges) if j != i)
        low, high = ranges[i]
        if max(low, total - others_high) >= min(high, total - others_low):
            return True
    return False


def _check(exact, shown, threshold, minimum):
    exact_by_id = {i["id"]: i for i in exact}
    for indicator in shown:
        people = indicator["id"] not in COUNTS_OF_CONTACTS
        pairs = zip(_all_cells(indicator), _all_cells(exact_by_id[indicator["id"]]), strict=True)
        for cell, truth in pairs:
            for name in ("numerator", "denominator", "value"):
                value = cell.get(name)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    assert value == truth[name], ("shown numbers are the true ones", cell)
                if value is None and truth.get(name) is not None:
                    assert cell.get("withheld") is True, (indicator["id"], cell)
            for name in ("numerator", "denominator"):
                value = cell.get(name)
                if people and isinstance(value, int) and indicator["id"] not in GROWTH:
                    assert not 1 <= value <= threshold, (indicator["id"], cell)
            n, d, v = cell.get("numerator"), cell.get("denominator"), cell.get("value")
            if "denominator" in indicator and isinstance(v, float):
                assert isinstance(n, int) and isinstance(d, int), (indicator["id"], cell)
                if indicator["id"] not in (*GROWTH, "CON-02"):  # CON-02: a rate
                    assert d >= minimum and not 1 <= d - n <= threshold, (indicator["id"], cell)
    for name, refs, total in _tables(shown):
        values = [cell.get(field) for cell, field in refs]
        if isinstance(total, int):
            assert not _reader_can_pin_a_hidden_cell(values, total, threshold), (name, values)
        elif any(v for v in values):
            assert not all(isinstance(v, int) for v in values), (name, "adds up to the total")
    by_id = {i["id"]: i for i in shown}
    # The cohort, overall and per key, is shown the same everywhere or hidden everywhere.
    places = [by_id["BEN-03"]["numerator"]] + [by_id[i]["denominator"] for i in OVER_COHORT]
    assert len({repr(p) for p in places}) == 1, places
    for dimension, cells in by_id["BEN-03"]["by"].items():
        for position, cell in enumerate(cells):
            same = [cell["numerator"]] + [
                by_id[i]["by"][dimension][position]["denominator"] for i in OVER_COHORT
            ]
            assert len({repr(p) for p in same}) == 1, (dimension, cell["key"], same)
    # GRO-01 with BEN-02, and GRO-02 (clients supported), must not give back a small count.
    for growth_id in GROWTH:
        growth, exact_growth = by_id[growth_id], exact_by_id[growth_id]
        if exact_growth["denominator"] is None:
            continue
        current = exact_growth["numerator"] + exact_growth["denominator"]
        for count in (current, exact_growth["denominator"]):
            if 1 <= count <= threshold:
                shown_pair = (growth["numerator"], growth["denominator"])
                assert not all(isinstance(x, int) for x in shown_pair), growth


def _all_cells(indicator):
    yield indicator
    for cells in indicator.get("by", {}).values():
        yield from cells


@pytest.mark.parametrize(("level", "threshold", "minimum"), LEVELS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_rows_strategy())
def test_no_small_count_is_shown_or_derivable(level, threshold, minimum, specs):
    results = [
        r.as_dict()
        for r in compute(_make(specs), "2024-01", "2024-06", baseline_before("2024-01", "2024-06"))
    ]
    _check(results, disclosure.apply(results, level), threshold, minimum)


@pytest.mark.parametrize(("level", "threshold", "minimum"), LEVELS)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_rows_strategy())
def test_it_keeps_every_rule_on_perturbed_counts(level, threshold, minimum, specs):
    """The same reader, on a report whose counts are perturbed (the cell-key method): the rules
    hold for the numbers as published, and masking and suppression leave every shown number as
    perturbed."""
    keys = disclosure.Perturbation(b"a network's perturbation key")
    computed = compute(
        _make(specs), "2024-01", "2024-06", baseline_before("2024-01", "2024-06"), keys=keys
    )
    results = [r.as_dict() for r in computed]
    _check(disclosure.perturb(results, level), disclosure.apply(results, level), threshold, minimum)


@settings(max_examples=150, deadline=None)
@given(specs=_rows_strategy())
def test_the_engagement_outcomes_always_add_up_to_the_cohort(specs):
    by_id = {r.id: r for r in compute(_make(specs), "2024-01", "2024-06")}
    engagement = [by_id[i] for i in ("ENG-01", "ENG-02", "ENG-03")]
    assert sum(r.numerator for r in engagement) == by_id["BEN-03"].numerator
    assert all(r.denominator == by_id["BEN-03"].numerator for r in engagement)
    for dimension, cells in by_id["BEN-03"].by.items():
        for position, cell in enumerate(cells):
            parts = [r.by[dimension][position] for r in engagement]
            assert sum(p["numerator"] for p in parts) == cell["numerator"], dimension


def test_two_small_cells_that_add_up_to_two_are_not_left_alone():
    """1 + 1 + 20 = 22: shown as <5, <5, 20 a reader knows both small cells are 1."""
    specs = (
        [{**_SPEC, "pilot": "BG-CLA"}] * 20
        + [{**_SPEC, "pilot": "CY-CYRC"}]
        + [{**_SPEC, "pilot": "PL-SIP"}]
    )
    results = [r.as_dict() for r in compute(_make(specs), "2024-01", "2024-06")]
    shown = {i["id"]: i for i in disclosure.apply(results, "network")}
    by_pilot = {c["key"]: c["numerator"] for c in shown["BEN-03"]["by"]["pilot"]}
    assert shown["BEN-03"]["numerator"] == 22
    assert by_pilot == {"BG-CLA": None, "CY-CYRC": "<5", "PL-SIP": "<5"}


def test_a_hidden_total_is_not_given_back_by_its_cells():
    """BEN-06 hides 12 of 14 (the other 2 would follow); its breakdown by `vulnerable` must not
    show the 12 either."""
    specs = [{**_SPEC}] * 12 + [{**_SPEC, "vulnerable": "true"}] * 2
    results = [r.as_dict() for r in compute(_make(specs), "2024-01", "2024-06")]
    shown = {i["id"]: i for i in disclosure.apply(results, "network")}
    assert shown["BEN-06"]["numerator"] is None
    cells = {c["key"]: c for c in shown["BEN-06"]["by"]["vulnerable"]}
    assert cells["false"]["numerator"] is None and cells["false"]["denominator"] is None


def test_exact_shows_everything():
    results = [r.as_dict() for r in compute(_make([{**_SPEC}] * 3), "2024-01", "2024-06")]
    assert disclosure.apply(results, "exact") == results


_SPEC = {
    "pilot": "BG-CLA",
    "sex": "female",
    "vulnerable": "false",
    "detention_at_referral": "none",
    "closure_reason": "",
    "engagement_level": "active",
    "outcome": "",
    "assessments": "0",
    "idm": ("", ""),
}


def test_it_shows_small_counts_as_a_range_and_withholds_their_percentages():
    specs = [{**_SPEC}] * 12 + [{**_SPEC, "closure_reason": "removed"}] * 2
    shown = {i["id"]: i for i in disclosure.apply(
        [r.as_dict() for r in compute(_make(specs), "2024-01", "2024-06")], "network"
    )}  # fmt: skip
    removed = shown["ENG-03"]
    assert removed["numerator"] == "<5" and removed["value"] is None and removed["withheld"]
    # ENG-01 (12 of 14) would give the 2 away: its rest is small, so it is withheld too.
    assert shown["ENG-01"]["value"] is None and shown["ENG-01"]["withheld"]
    assert shown["BEN-03"]["numerator"] == 14


def test_a_total_whose_only_cell_is_withheld_is_withheld_too():
    """A breakdown with one group (one pilot of the report has engagement outcomes): its only
    cell withheld, the total shown beside it would be that cell. The total goes too."""
    level = disclosure.LEVELS["network"]
    total, only = {"numerator": 5}, {"numerator": None, "withheld": True}
    while disclosure._suppress((total, "numerator"), [(only, "numerator")], level):
        pass
    assert total["numerator"] is None and total["withheld"]
    # Two withheld cells of a shown total give neither away: the total stays.
    total, cells = {"numerator": 9}, [{"numerator": None}, {"numerator": None}]
    while disclosure._suppress((total, "numerator"), [(c, "numerator") for c in cells], level):
        pass
    assert total["numerator"] == 9
