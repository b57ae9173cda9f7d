"""Issue 14, section 1: every count about people in every output of the report goes through the
one disclosure control, not only the indicators' cells: the coverage (`rows`, `cohort`,
`with_two_assessments`, "Data: N enrollments"), `has_data`, the caseload series, the
dashboards' quarterly trend, and the HTML, PDF and XLSX that show them.

The reader here holds the whole report (and the reports of other months of the same rows) and
combines its numbers: the coverage against the indicators, the series against BEN-01 of each
month's own report, the quarters' new clients against the period's, every table against its
total. They know the method and treat every shown number as exact (the strictest reading);
they do not know the instance's secret key.
"""

import io
import re

import pytest
from django.utils import formats, timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from engage.mel import services
from engage.mel.report import dashboards, disclosure, indicators, render
from engage.mel.report.indicators import baseline_before, months_between
from tests.mel.rows import row
from tests.mel.test_disclosure import _reader_can_pin_a_hidden_cell, _tables
from tests.pdf import pdf_pages

START, END = "2024-01", "2024-06"
LEVELS = [("network", 4), ("public", 9)]
NOT_PEOPLE = ("CON-01", "CON-02", "GRO-01", "GRO-02")  # contacts; differences of two counts
# TIM-01's value is a median of months, not a count of people (its clients and bands are).
MONTHS = ("TIM-01",)


def _specs():
    one = st.fixed_dictionaries(
        {
            "pilot": st.sampled_from(["BG-CLA", "CY-CYRC"]),
            "city": st.sampled_from(["Sofia", "Sofia", "Varna", "Ruse", "Nicosia"]),
            "sex": st.sampled_from(["female", "male", "unknown"]),
            "included": st.sampled_from(["true", "true", "true", "false"]),
            "inclusion_month": st.sampled_from(["2023-08", "2024-02", "2024-03", "2024-05"]),
            "closure": st.sampled_from(["", "", "", "resolved", "removed", "deceased", "disengaged"]),
            "closure_month": st.sampled_from(["2024-02", "2024-04", "2024-09"]),
            "assessments": st.sampled_from(["0", "1", "2", "3"]),
            "idm": st.sampled_from([("", ""), ("1", "3"), ("3", "2")]),
            "outcome": st.sampled_from(["", "", "protection"]),
        }
    )  # fmt: skip
    return st.lists(one, min_size=0, max_size=40)


def _rows(specs):
    rows = []
    for n, spec in enumerate(specs):
        included = spec["included"] == "true"
        closed = included and bool(spec["closure"])
        rows.append(
            row(
                n,
                pilot=spec["pilot"],
                city=spec["city"],
                sex=spec["sex"],
                included=spec["included"],
                inclusion_month=spec["inclusion_month"] if included else "",
                status="closed" if closed else "active",
                closure_month=spec["closure_month"] if closed else "",
                closure_reason=spec["closure"] if closed else "",
                outcome=spec["outcome"],
                outcome_permanence="permanent" if spec["outcome"] else "",
                assessments=spec["assessments"],
                idm_baseline=spec["idm"][0],
                idm_latest=spec["idm"][1],
            )
        )
    return rows


def _report(rows, level, *, start=START, end=END):
    return services.report(
        rows, start=start, end=end, pilots=["BG-CLA", "CY-CYRC"], level=level,
        baseline=baseline_before(start, end),
    )  # fmt: skip


def _counts(node, path=()):
    """Every number of the report's JSON with its path, however deep: (path, value)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _counts(value, (*path, key))
    elif isinstance(node, list):
        for position, value in enumerate(node):
            yield from _counts(value, (*path, position))
    elif isinstance(node, int | str) and not isinstance(node, bool):
        yield path, node


def _indicator_of(report, path) -> str | None:
    if path[:1] == ("indicators",):
        return report["indicators"][path[1]]["id"]
    return None


def _check_whole_output(report, threshold):
    mask = f"<{threshold + 1}"
    for path, value in _counts(report):
        if _indicator_of(report, path) in NOT_PEOPLE:
            continue
        if _indicator_of(report, path) in MONTHS and path[2:] == ("value",):
            continue
        if isinstance(value, str):
            # A string is a month, a key, an id, a level, or the level's mask: no other number.
            if re.fullmatch(r"<\d+", value):
                assert value == mask, (path, value)
            elif re.fullmatch(r"\d+", value):
                raise AssertionError(("a count as a string", path, value))
            continue
        assert not 1 <= value <= threshold, ("a small count shown", path, value)


def _check_combinations(report, threshold):
    by_id = {i["id"]: i for i in report["indicators"]}
    coverage = report["coverage"]
    # One quantity shown in two places is the same there: the reader cannot take it from one
    # place where it is hidden in the other, nor average two draws of its noise.
    assert repr(coverage["cohort"]) == repr(by_id["BEN-03"]["numerator"])
    assert repr(coverage["with_two_assessments"]) == repr(by_id["CAP-04"]["numerator"])
    series = {p["month"]: p["value"] for p in report["series"]["BEN-01"]}
    assert repr(series[report["period"]["end"]]) == repr(by_id["BEN-01"]["numerator"])
    # No hidden cell of any table can be worked out from its total and the shown cells.
    for name, refs, total in _tables(report["indicators"]):
        values = [cell.get(field) for cell, field in refs]
        if isinstance(total, int):
            assert not _reader_can_pin_a_hidden_cell(values, total, threshold), (name, values)
        elif any(v for v in values):
            assert not all(isinstance(v, int) for v in values), (name, "adds up to the total")
    # `has_data` tells nothing the shown cohort does not.
    assert report["has_data"] == (coverage["cohort"] != 0)


@pytest.mark.parametrize(("level", "threshold"), LEVELS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_specs())
def test_no_count_about_people_anywhere_in_the_report_is_small_or_derivable(
    level, threshold, specs
):
    report = _report(_rows(specs), level)
    _check_whole_output(report, threshold)
    _check_combinations(report, threshold)


def test_a_pilot_alone_in_a_breakdown_is_not_given_back_by_the_total(monkeypatch):
    """Found by the test above in one run of the suite: with the perturbation's secret of that
    run, only CY-CYRC had engagement outcomes, its ENG-01 cell was withheld (with ENG-02 and
    the "<5" of ENG-03 it would give the small count back) while ENG-01's total, shown, was
    that cell. The secret is fixed here to the one that draws that noise."""
    monkeypatch.setattr(
        disclosure.Perturbation, "of_instance", classmethod(lambda cls: cls(bytes(32)))
    )
    same = {"city": "Sofia", "inclusion_month": "2023-08", "closure_month": "2024-02",
            "assessments": "0", "idm": ("", ""), "outcome": ""}  # fmt: skip
    specs = [
        *[{**same, "pilot": "BG-CLA", "sex": "female", "included": "true", "closure": "deceased"}] * 2,
        {**same, "pilot": "CY-CYRC", "sex": "male", "included": "true", "closure": ""},
        {**same, "pilot": "BG-CLA", "sex": "female", "included": "true", "closure": "deceased",
         "idm": ("1", "3")},
        {**same, "pilot": "CY-CYRC", "sex": "female", "included": "true", "closure": ""},
        {**same, "pilot": "BG-CLA", "sex": "female", "included": "true", "closure": "deceased",
         "assessments": "1"},
        {**same, "pilot": "BG-CLA", "sex": "female", "included": "false", "closure": "",
         "idm": ("1", "3")},
        *[{**same, "pilot": "CY-CYRC", "sex": "female", "included": "true", "closure": ""}] * 2,
        {**same, "pilot": "CY-CYRC", "sex": "unknown", "included": "true", "closure": "removed",
         "idm": ("1", "3")},
    ]  # fmt: skip
    report = _report(_rows(specs), "network")
    engagement = {i["id"]: i for i in report["indicators"]}["ENG-01"]
    assert [cell["key"] for cell in engagement["by"]["pilot"]] == ["CY-CYRC"]
    assert engagement["by"]["pilot"][0]["numerator"] is None
    assert engagement["numerator"] is None
    _check_whole_output(report, 4)
    _check_combinations(report, 4)


@pytest.mark.parametrize(("level", "threshold"), LEVELS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_specs())
def test_the_series_is_each_months_own_report_and_months_subtract_to_no_exact_count(
    level, threshold, specs
):
    # The reader holds the report and the report of each earlier month of the same rows: the
    # series' point of a month is that month's BEN-01 as its own report shows it (one draw of
    # the noise for one set of people, whichever report it is read from).
    rows = _rows(specs)
    report = _report(rows, level)
    series = {p["month"]: p["value"] for p in report["series"]["BEN-01"]}
    for month in months_between(START, END)[-3:]:
        earlier = _report(rows, level, end=month)
        _check_whole_output(earlier, threshold)
        by_id = {i["id"]: i for i in earlier["indicators"]}
        assert repr(series[month]) == repr(by_id["BEN-01"]["numerator"]), month


def test_the_enrollments_are_one_draw_with_the_cohort_when_they_are_the_same_people():
    # Every row in the cohort, in cities too small to be keys (merged into `unknown`): the
    # enrollments and the cohort are the same people and must be shown the same, not as two
    # draws of the noise (their average would come nearer the true count).
    cities = ["Ruse", "Varna", "Pleven", "Burgas", "Sliven", "Yambol", "Vidin", "Lovech"]
    for size in range(10, 30):
        rows = [row(1000 * size + n, city=cities[n % len(cities)]) for n in range(size)]
        for level in ("network", "public"):
            report = _report(rows, level)
            by_id = {i["id"]: i for i in report["indicators"]}
            assert report["coverage"]["rows"] == by_id["BEN-03"]["numerator"], (size, level)


def test_a_small_pilot_shows_no_small_count_in_the_json_html_pdf_or_xlsx():
    rows = [
        row(n, inclusion_month="2024-03", assessments="2", idm_baseline="1", idm_latest="3")
        for n in range(3)
    ] + [row(9, included="false", inclusion_month="")]
    for level, threshold in LEVELS:
        report = _report(rows, level)
        mask = f"<{threshold + 1}"
        _check_whole_output(report, threshold)
        assert report["coverage"] == {"rows": mask, "cohort": mask, "with_two_assessments": mask}
        html = render.as_html(report)
        escaped = mask.replace("<", "&lt;")
        assert f"Data: {escaped} enrollments, {escaped} in the cohort, {escaped} with" in html
        pages = pdf_pages(render.as_pdf(report))
        # The page furniture aside: the contents' page numbers (page 2) and each page's footer.
        pdf = " ".join(p for n, p in enumerate(pages) if n != 1)
        pdf = re.sub(r"Page \d+ / \d+", "", " ".join(pdf.split()))
        made = formats.date_format(timezone.localdate(), "DATE_FORMAT")  # on the cover
        pdf = pdf.replace(f"Made on {made}", "")
        assert f"Data: {mask} enrollments, {mask} in the cohort, {mask} with" in pdf
        # Nothing else in the PDF is a small number standing alone (the method's own sentences
        # about the levels and the noise aside).
        for sentence in (f"counts 1 to {threshold} shown", "by up to 2 people", "by up to 6"):
            pdf = pdf.replace(sentence, "")
        assert not re.search(r"(?<![\w.,<+\-])[1-9](?![\w.,%\-])", pdf), pdf
        book = load_workbook(io.BytesIO(render.as_xlsx(report)))
        for sheet in ("Indicators", "Breakdowns", "Coverage"):
            for line in book[sheet].iter_rows(values_only=True):
                if line and line[0] in NOT_PEOPLE:
                    continue
                for value in line:
                    assert not (isinstance(value, int) and 1 <= value <= threshold), (sheet, line)
        coverage = list(book["Coverage"].iter_rows(min_row=2, values_only=True))
        assert [line[2] for line in coverage[:3]] == [mask, mask, mask]
        assert [line[2] for line in coverage[3:]] == [
            p["value"] for p in report["series"]["BEN-01"]
        ]


def test_exact_keeps_the_true_coverage_and_series():
    rows = [row(n, inclusion_month="2024-03", assessments="2") for n in range(3)] + [
        row(9, included="false", inclusion_month="")
    ]
    report = _report(rows, "exact")
    assert report["coverage"] == {"rows": 4, "cohort": 3, "with_two_assessments": 3}
    assert report["has_data"] is True
    assert [p["value"] for p in report["series"]["BEN-01"]] == [0, 0, 3, 3, 3, 3]


def test_a_perturbed_cohort_of_zero_does_not_say_that_someone_is_there():
    # One client: at network level their cohort is shown as 0 for some keys (a zero may stand
    # for one person); `has_data` then says no data too, or it would give the person away.
    seen = set()
    for n in range(60):
        report = _report([row(n, inclusion_month="2024-03")], "network")
        cohort = report["coverage"]["cohort"]
        seen.add(cohort)
        assert report["has_data"] == (cohort != 0)
    assert 0 in seen and "<5" in seen
    assert _report([row(0, inclusion_month="2024-03")], "exact")["has_data"] is True


def test_the_quarters_new_clients_do_not_give_a_hidden_quarter_back_from_the_years():
    # The dashboard's year is its last four quarters: their new clients add up to its BEN-02.
    # A quarter shown as "<5" must not be the year minus the three others, as shown.
    suppressed = 0
    for offset in range(25):
        rows = (
            [row(offset * 100 + n, inclusion_month="2023-08") for n in range(15)]
            + [row(offset * 100 + 20 + n, inclusion_month="2023-11") for n in range(14)]
            + [row(offset * 100 + 40 + n, inclusion_month="2024-02") for n in range(3)]
            + [row(offset * 100 + 50 + n, inclusion_month="2024-05") for n in range(16)]
        )
        for level, threshold in LEVELS:
            year = _report(rows, level, start="2023-07")
            trend = dashboards.trend(rows, end=END, level=level, period=year)
            total = next(i for i in year["indicators"] if i["id"] == "BEN-02")["numerator"]
            quarters = [_shown(p["new"]) for p in trend["points"][-4:]]
            if isinstance(total, int):
                assert not _reader_can_pin_a_hidden_cell(quarters, total, threshold), quarters
            suppressed += sum(1 for q in quarters if q is None)
    assert suppressed  # the rule did something in some of the configurations


def _shown(cell):
    if cell.withheld:
        return None
    return cell.value if cell.value is not None else cell.text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_specs())
def test_a_quarter_computed_alone_shows_the_active_and_new_clients_of_its_whole_report(specs):
    # The dashboard's quarters compute BEN-01 and BEN-02 only (`services.active_and_new`): every
    # cell, perturbed, masked and suppressed, must be what the quarter's whole report shows.
    rows = _rows(specs)
    for level in ("exact", "network", "public"):
        counted = services.prepare(rows, level)
        for start, end in (("2024-01", "2024-03"), ("2024-04", "2024-06"), ("2023-07", "2024-06")):
            whole = services.report(counted, start=start, end=end, pilots=["BG-CLA", "CY-CYRC"],
                                    level=level)  # fmt: skip
            alone = services.active_and_new(counted, start=start, end=end, level=level)
            assert list(alone) == ["BEN-01", "BEN-02"]
            for indicator in whole["indicators"]:
                if indicator["id"] in alone:
                    assert alone[indicator["id"]] == indicator


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=_specs(), end=st.sampled_from(["2024-01", "2024-03", "2024-06"]))
def test_a_table_selects_the_rows_each_rule_holds_for(specs, end):
    # A table calls a rule once per distinct set of the values it reads: the rows it selects
    # must be those the rule holds for, row by row, within the rows asked about.
    rows = _rows(specs)
    table = indicators.tabulate(rows)
    cohort = table.mask(indicators._cohort_rule(end), table.every)
    rules = [
        indicators.new_client("2024-01", end),
        indicators.supported("2024-02", end),
        *indicators._improved("idm"),
        indicators.Rule(lambda r: indicators.engagement_outcome(r, end) == "engaged",
                        indicators.OUTCOME_STATE),
    ]  # fmt: skip
    assert cohort.tolist() == [indicators.in_cohort(r, end) for r in rows]
    for rule in rules:
        for within in (table.every, cohort):
            expected = [bool(w) and bool(rule.holds(r)) for r, w in zip(rows, within, strict=True)]
            assert table.mask(rule, within).tolist() == expected


def test_a_rule_over_columns_of_many_values_is_numbered_without_overflowing():
    # Three columns of 3,000 distinct values each: 2.7e10 combinations, numbered again on the way.
    rows = [
        row(n, person_ref=f"p{n:05d}", household_ref=f"h{(n * 7) % 3000:05d}") for n in range(3000)
    ]
    table = indicators.tabulate(rows)
    rule = indicators.Rule(
        lambda r: (
            r["case_ref"] < r["person_ref"].replace("p", "0") + "z"
            and r["household_ref"] < "h01500"
        ),
        ("case_ref", "person_ref", "household_ref"),
    )
    expected = [bool(rule.holds(r)) for r in rows]
    assert table.mask(rule, table.every).tolist() == expected
    assert 0 < sum(expected) < len(rows)


def test_a_rule_that_reads_a_column_it_does_not_name_fails_rather_than_counts():
    # A `Rule` is called once per distinct set of the values it names, on those values only.
    rows = [
        row(n, inclusion_month="2024-02", vulnerable=("true", "false")[n % 2]) for n in range(6)
    ]
    table = indicators.tabulate(rows)
    named = indicators.Rule(lambda r: r["vulnerable"] == "true", ("vulnerable",))
    assert table.mask(named, table.every).tolist() == [True, False] * 3
    unnamed = indicators.Rule(lambda r: r["vulnerable"] == "true", ("sex",))
    with pytest.raises(KeyError, match="vulnerable"):
        table.mask(unnamed, table.every)


def test_protect_parts_keeps_exact_and_withholds_the_next_smallest_part():
    assert disclosure.protect_parts(30, [12, 3, 15], "exact") == [12, 3, 15]
    assert disclosure.protect_parts(30, [12, "<5", 15], "network") == [None, "<5", 15]
    assert disclosure.protect_parts(None, [12, 15], "network") == [None, 15]


def test_rows_prepared_once_give_every_report_and_quarter_the_same_figures(monkeypatch):
    """A dashboard counts and keys its rows once for the period's report and its quarters'
    (`services.prepare`): the figures are those of each report made from the bare rows."""
    rows = [row(n, inclusion_month=month, city="Sofia" if n % 3 else f"Village {n}")
            for n, month in enumerate(["2023-08", "2023-11", "2024-02", "2024-05"] * 9)]  # fmt: skip
    pilots = ["BG-CLA", "CY-CYRC"]
    records: list[int] = []
    made = disclosure.Perturbation.records

    def counting(self, given):
        records.append(1)
        return made(self, given)

    for level in ("exact", "network", "public"):
        bare_year = _report(rows, level, start="2023-07")
        bare_trend = dashboards.trend(rows, end=END, level=level, period=bare_year)
        records.clear()
        monkeypatch.setattr(disclosure.Perturbation, "records", counting)
        counted = services.prepare(rows, level)
        year = services.report(counted, start="2023-07", end=END, pilots=pilots, level=level,
                               baseline=baseline_before("2023-07", END))  # fmt: skip
        trend = dashboards.trend(counted, end=END, level=level, period=year)
        monkeypatch.undo()
        assert len(records) == (0 if level == "exact" else 1)  # seven reports, keyed once
        assert year == bare_year
        assert trend == bare_trend
        with pytest.raises(ValueError, match="rows prepared for"):
            services.report(counted, start="2023-07", end=END, pilots=pilots,
                            level="exact" if level != "exact" else "network")  # fmt: skip
