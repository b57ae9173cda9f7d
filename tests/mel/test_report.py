"""The report: JSON shape of the spec, and HTML, PDF and XLSX with the same numbers."""

import html as html_lib
import io
import json
import os
import re
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from engage.audit.models import AuditEvent
from engage.mel import services
from engage.mel.report import render
from engage.mel.report.indicators import baseline_before
from tests.mel.rows import row
from tests.pdf import pdf_text

ROWS = [row(n, inclusion_month="2024-02") for n in range(1, 31)] + [
    row(100 + n, status="closed", closure_month="2024-04", closure_reason="removed")
    for n in range(3)
]


@pytest.fixture
def report():
    return services.report(
        ROWS,
        start="2024-01",
        end="2024-06",
        pilots=["BG-CLA"],
        level="network",
        baseline=baseline_before("2024-01", "2024-06"),
    )


def _shown(value) -> str:
    return "withheld" if value is None else str(value)


def test_its_json_has_the_shape_of_the_spec(report):
    assert report["period"] == {"start": "2024-01", "end": "2024-06"}
    assert report["disclosure"] == "network" and report["scope"] == {"pilots": ["BG-CLA"]}
    eng3 = next(i for i in report["indicators"] if i["id"] == "ENG-03")
    assert eng3["numerator"] == "<5" and eng3["value"] is None and eng3["withheld"] is True
    cell = eng3["by"]["vulnerable"][0]
    assert set(cell) >= {"key", "numerator", "denominator", "value"}


def test_its_html_shows_the_numbers_of_the_json(report):
    html = render.as_html(report).split('<table id="indicators">')[1]  # after the charts
    for indicator in report["indicators"]:
        pattern = re.compile(
            rf"<th scope=\"row\">{indicator['id']} [^<]*</th>\s*<td class=\"n\">([^<]*)</td>"
        )
        shown = html_lib.unescape(pattern.search(html).group(1).strip())
        assert shown == _shown(indicator["numerator"])


def test_its_pdf_shows_the_numbers_of_the_json(report):
    text = pdf_text(render.as_pdf(report))
    for indicator in report["indicators"]:
        value = indicator["value"]
        shown = "withheld" if value is None else str(value)
        assert f"{indicator['id']} " in text
        assert shown in text
    assert "Disclosure level: Network: counts 1 to 4 shown as <5" in text


def test_its_xlsx_holds_the_numbers_of_the_json(report):
    book = load_workbook(io.BytesIO(render.as_xlsx(report)))
    sheet = book["Indicators"]
    lines = {r[0]: r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0]}
    for indicator in report["indicators"]:
        assert lines[indicator["id"]][2] == indicator["numerator"]
        assert lines[indicator["id"]][4] == indicator["value"]


@pytest.mark.django_db
def test_the_command_writes_each_format_and_audits_exact_figures(tmp_path):
    (tmp_path / "report.json").write_text("{}")  # an older report, readable by all
    (tmp_path / "report.json").chmod(0o644)
    old = os.umask(0o022)
    try:
        for fmt in ("json", "html", "pdf", "xlsx"):
            out = tmp_path / f"report.{fmt}"
            call_command(
                "mel_report", start="2024-01", end="2024-06", disclosure="public", fmt=fmt,
                out=out, stdout=StringIO(),
            )  # fmt: skip
            assert out.stat().st_size > 0
            # The operator's only, whatever the umask (December 2026 review).
            assert stat.S_IMODE(out.stat().st_mode) == 0o600
    finally:
        os.umask(old)
    assert not AuditEvent.objects.exists()
    out = StringIO()
    call_command(
        "mel_report", start="2024-01", end="2024-06", disclosure="exact", fmt="json",
        out=tmp_path / "exact.json", stdout=out,
    )  # fmt: skip
    # No account runs a command: the entry names the command, format, system user and period.
    detail = AuditEvent.objects.get().detail
    assert detail.startswith("mel_report json (system user ")
    assert "exact 2024-01..2024-06, live rows" in detail
    assert "no data for this period" in out.getvalue()
    assert json.loads((tmp_path / "exact.json").read_text())["has_data"] is False


@pytest.mark.django_db
def test_the_command_refuses_bad_periods(tmp_path):
    for start, end in (("2024-13", "2024-06"), ("2024-06", "2024-01")):
        with pytest.raises(CommandError):
            call_command(
                "mel_report", start=start, end=end, disclosure="public", out=tmp_path / "x",
                stdout=StringIO(),
            )  # fmt: skip


def test_an_empty_period_says_so_in_the_html():
    empty = services.report([], start="2024-01", end="2024-06", pilots=[], level="public")
    assert "There is no data for this period" in render.as_html(empty)
