"""The NET-* and the cost comparison in the mel report: the same numbers in JSON, HTML, XLSX;
disclosure control on the counts of people only; each side's records in its own reports."""

import datetime
import io
import json

import pytest
from openpyxl import load_workbook

from engage.mel import services
from engage.network.factories import ActivityFactory, StakeholderFactory
from tests.mel.test_renderings import _Tables
from tests.pdf import pdf_text

D = datetime.date


@pytest.fixture
def recorded(organisation, other_organisation, bob, olga, nadia):
    mine = {"organisation": organisation, "recorded_by": bob}
    # Seven presentations (organisational: exact at every level) and a training of 12 with 3
    # people with lived experience (about people: masked at network level).
    for day in range(1, 8):
        ActivityFactory(kind="presentation", high_profile=day <= 2, date=D(2024, 2, day), **mine)
    ActivityFactory(kind="training", participants=12, participants_lived_experience=3,
                    date=D(2024, 3, 1), **mine)  # fmt: skip
    ActivityFactory(kind="le_case_work", people=2, date=D(2024, 1, 1), **mine)
    ActivityFactory(kind="concept_note", date=D(2024, 4, 1), organisation=None, recorded_by=nadia)
    ActivityFactory(kind="concept_note", date=D(2024, 4, 1), organisation=other_organisation,
                    recorded_by=olga)  # fmt: skip
    StakeholderFactory(organisation=organisation, created_by=bob, stage="partner")


def _report(level, pilots, by=None):
    return services.report_for(
        start="2024-01", end="2024-06", pilots=pilots, source="live", level=level, by=by
    )


def _net(report):
    return {i["id"]: i for i in report["indicators"] if i["id"].startswith("NET-")}


@pytest.mark.django_db
def test_it_adds_the_net_indicators_to_the_report(recorded):
    net = _net(_report("exact", ["BG-CLA", "CY-CYRC"]))
    assert [net[i]["numerator"] for i in ("NET-02", "NET-03", "NET-04", "NET-09")] == [1, 1, 2, 7]
    assert net["NET-06"]["numerator"] == 2
    assert (net["NET-07"]["numerator"], net["NET-07"]["denominator"]) == (3, 12)
    # The command line's report counts the network's own concept note too.
    assert net["NET-10"]["numerator"] == 2  # Cyprus and the network


@pytest.mark.django_db
def test_it_applies_disclosure_control_to_counts_of_people_only(recorded):
    net = _net(_report("network", ["BG-CLA", "CY-CYRC"]))
    assert net["NET-09"]["numerator"] == 7  # presentations: not about people
    assert net["NET-04"]["numerator"] == 2
    assert net["NET-06"]["numerator"] == "<5"
    assert net["NET-07"]["numerator"] == "<5"
    assert net["NET-07"]["value"] is None and net["NET-07"]["withheld"] is True


@pytest.mark.django_db
def test_it_gives_an_organisations_staff_their_own_records_only(recorded, ada):
    net = _net(_report("network", ["BG-CLA"], by=ada))
    assert net["NET-10"]["numerator"] == 0  # neither the network's nor Cyprus's note
    assert net["NET-09"]["numerator"] == 7


@pytest.mark.django_db
def test_it_shows_the_same_numbers_in_json_html_and_xlsx(recorded):
    report = _report("network", ["BG-CLA", "CY-CYRC"])
    from_json = json.loads(services.report_bytes(report, "json"))
    assert _net(from_json) == _net(report)
    parser = _Tables()
    parser.feed(services.report_bytes(report, "html").decode())
    (table,) = [t for t in parser.tables if t["attrs"].get("id") == "network-indicators"]
    html = {r[0].split()[0]: r[1:] for r in table["rows"][1:]}
    book = load_workbook(io.BytesIO(services.report_bytes(report, "xlsx")))
    xlsx = {line[0]: line for line in book["Indicators"].iter_rows(values_only=True)}
    for id_, item in _net(report).items():
        shown = "withheld" if item["numerator"] is None else str(item["numerator"])
        assert html[id_][0] == shown, id_
        assert xlsx[id_][2] == item["numerator"], id_
        assert xlsx[id_][4] == item.get("value"), id_
    assert "Cost comparison" in book.sheetnames


@pytest.mark.django_db
def test_it_shows_network_building_in_a_period_without_clients(recorded):
    report = _report("exact", ["BG-CLA"])
    assert report["has_data"] is False
    html = services.report_bytes(report, "html").decode()
    assert "There is no data for this period" in html
    assert 'id="network-indicators"' in html
    assert "NET-09" in html


@pytest.mark.django_db
def test_it_prints_the_net_indicators_in_the_pdf(recorded):
    report = _report("network", ["BG-CLA", "CY-CYRC"])
    text = pdf_text(services.report_bytes(report, "pdf"))
    assert "NET-09 Presentations and invitations to speak 7" in text
    assert "NET-06 People with lived experience involved in case management <5" in text


@pytest.mark.django_db
def test_the_cost_comparison_names_each_country_in_words(recorded):
    report = _report("network", ["BG-CLA", "CY-CYRC"])
    countries = [entry["country"] for entry in report["cost_comparison"]["countries"]]
    assert "BG" in countries
    html = services.report_bytes(report, "html").decode()
    row = html[html.index('<tr data-country="BG">') :]
    row = row[: row.index("</th>")]
    assert "Bulgaria (BG-CLA)" in row


@pytest.mark.django_db
def test_the_workbooks_cost_comparison_is_in_the_readers_words(recorded):
    from django.utils import translation

    report = _report("network", ["BG-CLA", "CY-CYRC"])
    with translation.override("fr"):
        book = load_workbook(io.BytesIO(services.report_bytes(report, "xlsx")))
    sheet = book["Comparaison des coûts"]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][0] == "Pays" and "currency" not in lines[0]
    bulgaria = next(line for line in lines if line[0] == "Bulgarie")
    assert bulgaria[1] == "BG-CLA"
    assert bulgaria[-1] and "_" not in bulgaria[-1]  # a sentence, not a reason's code
