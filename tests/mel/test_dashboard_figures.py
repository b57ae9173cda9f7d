"""What the dashboards show of CAS-01, ENG-04, GRO-01 and GRO-02 (issue 14, section 5): the
report's numbers as shown, in words, never a case manager's ref."""

from django.template.loader import render_to_string

from engage.mel.report import dashboards
from tests.mel.test_caseload_and_factors import CASELOAD_ROWS, FACTOR_ROWS, A, _by_id


def test_the_dashboards_show_caseload_factors_and_both_growths():
    exact = list(_by_id(CASELOAD_ROWS + FACTOR_ROWS).values())
    report = {"indicators": exact, "baseline": {"start": "2023-07", "end": "2023-12"}}
    caseload = dashboards.caseload(report)
    assert [line["cell"].text for line in caseload["lines"]] == [
        "3.0",
        "4",
    ]  # median, case managers
    bars = {bar["label"]: bar["text"] for bar in caseload["chart"]["bars"]}
    assert bars["1-10 clients"] == "3" and bars["11-20 clients"] == "1"
    factors = dashboards.factors(report)
    lines = {line["key"]: (str(line["name"]), line["cell"].text) for line in factors["lines"]}
    assert lines["fear"] == ("Fear of detention or removal", "2")
    assert lines["not_recorded"] == ("No factor recorded", "1")
    assert factors["total"].text == "3"
    growth = {line["id"]: line["cell"].text for line in dashboards.growth(report)["lines"]}
    assert set(growth) == {"GRO-01", "GRO-02"}
    html = render_to_string(
        "mel/_caseload.html", {"caseload": caseload, "factors": factors}
    ) + render_to_string("mel/_growth.html", {"growth": dashboards.growth(report)})
    assert "Fear of detention or removal" in html and "Growth in clients supported" in html
    assert A not in html

    network = {"indicators": list(_by_id(CASELOAD_ROWS + FACTOR_ROWS, "network").values())}
    lines = dashboards.caseload(network)["lines"]
    assert lines[0]["cell"].text == "withheld"
    shown = {line["key"]: line["cell"].text for line in dashboards.factors(network)["lines"]}
    assert shown["trust"] in ("<5", "0", "withheld")


def test_a_signed_growth_and_a_withheld_one():
    assert dashboards._signed({"value": 33.3}).text == "+33.3%"
    assert dashboards._signed({"value": -5.0}).text == "-5.0%"
    assert dashboards._signed({"value": None, "withheld": True}).text == "withheld"
    assert dashboards._signed({"value": None}).text == "—"


def test_a_city_not_known_is_said_in_words_in_the_table_and_its_chart():
    # A city too small to be shown on its own, or none recorded, is the dataset's 'unknown'.
    cell = {"numerator": 12, "value": 12, "withheld": False}
    report = {
        "indicators": [
            {"id": "BEN-01", **cell, "by": {"city": [{"key": "Sofia", **cell},
                                                    {"key": "unknown", **cell}]}}
        ]
    }  # fmt: skip
    table = dashboards.indicator_table(report, "city")
    assert [line["label"] for line in table["lines"]] == ["Sofia", "Not known"]
    chart = dashboards.by_key_chart(table, "BEN-01", "Active caseload per city")
    assert [bar["label"] for bar in chart["bars"]] == ["Sofia", "Not known"]
    html = render_to_string("mel/_indicator_table.html", {"table": table})
    assert "Not known" in html and ">unknown<" not in html
