"""Rows kept column by column (`StoredRows`): whatever the rows, a report of them is the report of
the same rows as dicts, at every level, whether they come from one submission or several, with
small cities merged or not (issue 17: the hub's report reads its rows this way)."""

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from engage.mel import services
from engage.mel.models import Submission, SubmissionRows
from engage.mel.report import indicators
from engage.mel.report.disclosure import Perturbation
from engage.mel.report.stored import KeyedRow, StoredRows, numbered, renumbered
from tests.mel.test_whole_output import _report, _rows, _specs


def _stored(rows: list[dict[str, str]]) -> StoredRows:
    """The rows as the hub reads them: a document a pilot, read and joined."""
    parts = []
    for pilot in dict.fromkeys(values["pilot"] for values in rows) or ["BG-CLA"]:
        document = SubmissionRows.of(
            Submission(pilot=pilot), [r for r in rows if r["pilot"] == pilot]
        )
        parts.append(document.rows())
    return StoredRows.joined(parts)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_specs())
def test_a_report_of_stored_rows_is_the_report_of_the_same_rows_as_dicts(specs):
    rows = _rows(specs)
    rows.sort(key=lambda values: values["pilot"])  # one submission a pilot, in the hub's order
    stored = _stored(rows)

    assert len(stored) == len(rows) and list(stored) == rows
    for name in ("pilot", "city", "sex", "case_ref"):
        distinct, codes = stored.column(name)
        assert (distinct, codes.tolist()) == (
            numbered([r[name] for r in rows])[0],
            numbered([r[name] for r in rows])[1].tolist(),
        )
    keys = Perturbation.of_instance()
    assert keys.records(stored) == keys.records(rows)
    assert keys.populations(stored) == keys.populations(rows)
    for smallest in (0, 3, 5):
        merged = indicators.merge_small_cities(stored, smallest)
        assert list(merged) == indicators.merge_small_cities(rows, smallest)
        assert keys.populations(merged) == keys.populations(
            indicators.merge_small_cities(rows, smallest)
        )
    for level in ("exact", "network", "public"):
        assert _report(stored, level) == _report(rows, level)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_specs())
def test_rows_derived_live_joined_to_stored_rows_report_as_the_same_rows_as_dicts(specs):
    """A report of pilots read live and pilots read from the hub numbers the live rows only,
    and gives the report of all the rows as dicts."""
    rows = sorted(_rows(specs), key=lambda values: values["pilot"])
    live = [values for values in rows if values["pilot"] == "BG-CLA"]
    held = [values for values in rows if values["pilot"] != "BG-CLA"]
    read = _stored(held) if held else []
    together = services.joined([live, read])

    assert list(together) == rows
    assert isinstance(together, StoredRows) == bool(held)
    if held and live:
        assert together[0] is live[0]  # a live row is given back as itself
    for level in ("exact", "network"):
        assert _report(together, level) == _report(rows, level)


def test_a_row_of_stored_rows_is_read_alone_or_with_the_others_as_the_same_row():
    rows = _rows([{"pilot": "BG-CLA", "city": city, "sex": "female", "included": "true",
                   "inclusion_month": "2024-02", "closure": "", "closure_month": "",
                   "assessments": "0", "idm": ("", ""), "outcome": ""}
                  for city in ("Sofia", "Ruse", "Sofia")])  # fmt: skip
    stored = _stored(rows)
    first, last = stored[0], stored[-1]
    assert type(first) is KeyedRow and first == rows[0] and last == rows[2]
    assert stored[0] is first and stored[1:] == rows[1:]
    assert stored.rows()[0] is first  # made with the others, the row already given
    with pytest.raises(IndexError):
        stored[3]
    merged = stored.replaced("city", {"Ruse": ""})
    assert [r["city"] for r in merged] == ["Sofia", "", "Sofia"]
    assert [type(r) is KeyedRow for r in merged] == [True, False, True]  # its content changed
    assert merged.column("city")[0] == ["Sofia", ""]


def test_numbering_again_gives_the_values_in_the_order_they_first_appear():
    """Values that repeat (a merged city) are one value, numbered where it first appears."""
    values, codes = renumbered(["b", "a", "b", "c"], np.array([1, 0, 2, 3, 1], np.intp))
    assert (values, codes.tolist()) == (["a", "b", "c"], [0, 1, 1, 2, 0])


def test_stored_rows_whose_numbers_do_not_match_their_values_are_refused():
    (distinct, codes) = numbered(["a", "b"])
    with pytest.raises(ValueError, match="numbers"):
        StoredRows(("x",), {"x": (distinct[:1], codes)}, 2)
    with pytest.raises(ValueError, match="numbers"):
        StoredRows(("x",), {"x": (distinct, codes)}, 3)
    with pytest.raises(ValueError, match="a column for each name"):
        StoredRows(("x", "y"), {"x": (distinct, codes)}, 2)


def test_a_breakdowns_sums_of_keys_are_exact_with_the_largest_keys():
    """The sums are made as floats: with every key at its largest they are still exact."""
    generator = np.random.default_rng(7)
    size = 50_000
    column = np.full(size, 2**32 - 1, np.int64) - generator.integers(0, 3, size)
    codes = generator.integers(0, 5, size).astype(np.intp)
    mask = generator.random(size) < 0.9
    sums = indicators._key_sums(SimpleNamespace(column=column), codes, mask, 6)
    expected = [sum(int(k) for k, c, m in zip(column, codes, mask, strict=True) if m and c == code)
                for code in range(6)]  # fmt: skip
    assert sums.tolist() == expected and sums[5] == 0
