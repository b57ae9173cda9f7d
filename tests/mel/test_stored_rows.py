"""Rows kept column by column (`StoredRows`): whatever the rows, a report of them is the report of
the same rows as dicts, at every level, whether they come from one submission or several, with
small cities merged or not (issue 17: the hub's report reads its rows this way)."""

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engage.mel import services
from engage.mel.dataset.rollback import roll_back
from engage.mel.dataset.stored import (
    KeyedRow,
    StoredRows,
    numbered,
    packed_columns,
    renumbered,
    unique,
    unpacked_columns,
)
from engage.mel.models import Submission, SubmissionRows
from engage.mel.report import indicators
from engage.mel.report.disclosure import Perturbation
from tests.mel.rows import row
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
    merged = stored.set(stored.where("city", lambda city: city == "Ruse"), city="")
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
    weights = column.astype(np.float64)  # as KeyedRows makes them
    sums = indicators._key_sums(SimpleNamespace(weights=weights), codes, mask, 6)
    expected = [sum(int(k) for k, c, m in zip(column, codes, mask, strict=True) if m and c == code)
                for code in range(6)]  # fmt: skip
    assert sums.tolist() == expected and sums[5] == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_specs(), picks=st.lists(st.booleans(), min_size=60, max_size=60))
def test_each_breakdowns_key_sums_are_the_sums_of_its_rows_keys(specs, picks):
    """The cells' keys come from each mask's keys taken once for every breakdown: each is the
    population's key (a city's: its pilots') plus the keys of exactly the rows of its cell,
    added up one by one here."""
    rows = _rows(specs)
    table = indicators.tabulate(rows, keys=Perturbation.of_instance())
    counted = np.array(picks[: len(rows)], dtype=bool)
    hits = counted & np.array(picks[::-1][: len(rows)], dtype=bool)
    keyed = table.keyed
    for denominator in (counted, None):
        for dimension, cells in table.breakdowns(hits, denominator).items():
            labels, codes = table.labels[dimension], table.codes[dimension]
            for cell in cells:
                mine = [n for n in range(len(rows)) if labels[codes[n]] == cell["key"]]
                population = keyed.population(dimension, cell["key"])
                if dimension == "city":  # a city's population is its pilots' (its counted rows')
                    within = hits if denominator is None else counted
                    population = keyed.of_pilots({rows[n]["pilot"] for n in mine if within[n]})
                expected = {
                    "numerator": population + sum(int(keyed.column[n]) for n in mine if hits[n])
                }
                if denominator is not None:
                    expected["denominator"] = population + sum(
                        int(keyed.column[n]) for n in mine if counted[n]
                    )
                assert cell[indicators.CELL_KEYS] == expected, (dimension, cell)
                assert cell == table.cells(dimension, hits, denominator)[cells.index(cell)]


def _later_specs():
    month = st.sampled_from(["", "2024-01", "2024-03", "2024-05", "2024-08"])
    one = st.fixed_dictionaries(
        {
            "referral_month": st.sampled_from(["2023-11", "2024-02", "2024-05"]),
            "inclusion_month": month, "closure_month": month, "outcome_month": month,
            "latest_assessment_month": month,
            "outcome": st.sampled_from(["", "protection"]),
            "assessments": st.sampled_from(["0", "2"]),
            "idm_latest": st.sampled_from(["", "3"]),
            "pilot": st.sampled_from(["BG-CLA", "CY-CYRC"]),
        }
    )  # fmt: skip
    return st.lists(one, max_size=30), st.sampled_from(["2024-02", "2024-04", "2024-06"])


def _later_row(n: int, spec: dict[str, str]) -> dict[str, str]:
    """A row as a later submission holds it (an outcome without its month, as version 1)."""
    included, closed, outcome = spec["inclusion_month"], spec["closure_month"], spec["outcome"]
    assessed = spec["assessments"] != "0"
    return row(
        n, pilot=spec["pilot"], referral_month=spec["referral_month"],
        included="true" if included else "false", inclusion_month=included,
        engagement_level="active" if included else "unknown",
        status="closed" if closed else "active", closure_month=closed,
        closure_reason="resolved" if closed else "",
        outcome=outcome, outcome_permanence="permanent" if outcome else "",
        outcome_month=spec["outcome_month"] if outcome else "",
        assessments=spec["assessments"],
        latest_assessment_month=spec["latest_assessment_month"] if assessed else "",
        idm_baseline="1" if assessed and spec["idm_latest"] else "",
        idm_latest=spec["idm_latest"] if assessed else "",
    )  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_later_specs()[0], end=_later_specs()[1])
def test_rows_kept_column_by_column_roll_back_as_the_same_rows_as_dicts(specs, end):
    """A later submission read for an earlier period: the same rows, values and coverage
    whether it is taken back column by column or row by row, and the same report."""
    rows = sorted((_later_row(n, spec) for n, spec in enumerate(specs)),
                  key=lambda values: values["pilot"])  # fmt: skip
    stored = _stored(rows)
    by_rows = roll_back(rows, period_end="2024-09", end=end)
    by_columns = roll_back(stored, period_end="2024-09", end=end)

    assert isinstance(by_columns.rows, StoredRows)
    assert list(by_columns.rows) == by_rows.rows
    assert by_columns.as_dict() == by_rows.as_dict()
    assert by_columns.ratings_left_out == by_rows.ratings_left_out
    unchanged = [r for r in by_columns.rows if type(r) is KeyedRow]
    assert all(r in rows for r in unchanged)  # only rows left as they were keep their keys
    keys = Perturbation.of_instance()
    assert keys.populations(by_columns.rows) == keys.populations(by_rows.rows)
    for level in ("exact", "network"):
        assert _report(by_columns.rows, level, end=end) == _report(by_rows.rows, level, end=end)


def test_a_document_keeps_each_column_at_the_width_its_values_need():
    """One byte a row for a column of at most 256 values, two up to 65,536, four beyond:
    read back as they were, whatever the mix."""
    sizes = (1, 256, 257, 65_536, 65_537)
    rows = 70_000
    columns = [
        ([f"v{n}" for n in range(size)], np.arange(rows, dtype=np.intp) % size) for size in sizes
    ]
    kept = packed_columns(columns)
    assert kept["width"] == [1, 1, 2, 2, 4]
    read = unpacked_columns(kept, len(columns), rows)
    for (values, codes), (read_values, read_codes) in zip(columns, read, strict=True):
        assert read_values == values
        assert (read_codes == codes).all() and read_codes.dtype == np.intp


@settings(max_examples=200, deadline=None)
@given(
    numbers=st.lists(st.integers(min_value=-3, max_value=3_000), max_size=300)
    | st.lists(st.integers(min_value=0, max_value=40), max_size=300)
    | st.lists(st.integers(min_value=0, max_value=2**40), max_size=50)
)
def test_unique_gives_what_numpy_s_unique_gives(numbers):
    """Read off a table where the numbers are few and non-negative, sorted otherwise: the same
    distinct numbers, first rows and inverse as `np.unique`, whichever way."""
    array = np.array(numbers, dtype=np.int64)
    distinct, first, inverse = unique(array)
    expected = np.unique(array, return_index=True, return_inverse=True)
    assert distinct.tolist() == expected[0].tolist()
    assert first.tolist() == expected[1].tolist()
    assert inverse.tolist() == expected[2].reshape(-1).tolist()


@settings(max_examples=100, deadline=None)
@given(
    parts=st.lists(
        st.lists(st.tuples(st.sampled_from("abc"), st.text("xyz", max_size=3)), max_size=8),
        min_size=2,
        max_size=4,
    )
)
def test_rows_joined_are_numbered_as_the_rows_numbered_whole(parts):
    """Joined, the columns of several parts are numbered as the same rows numbered in one go:
    a column whose values are all different from part to part (a reference) and one whose
    values repeat across parts alike."""
    names = ("shared", "own")
    given = [
        [{"shared": shared, "own": f"{number}-{own}"} for shared, own in part]
        for number, part in enumerate(parts)
    ]
    joined = StoredRows.joined([StoredRows.of(part, names) for part in given])
    whole = [row for part in given for row in part]
    assert list(joined) == whole
    for name in names:
        distinct, codes = joined.column(name)
        expected = numbered([row[name] for row in whole])
        assert (distinct, codes.tolist()) == (expected[0], expected[1].tolist())
