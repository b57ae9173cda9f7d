"""Charts keep SVG's decimal point in every language: a decimal comma ("80,4") in a width or
a position is not a number to SVG, so in Polish, French or Greek the bars of the report and
the dashboards were not drawn and their values piled up at the left (found walking the
Polish PDF report)."""

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

BAR = {"label": "ENG-01", "text": "80,4% (119/148)", "y": 4.5, "text_y": 17.5, "width": 321.6,
       "label_y": 2.5}  # fmt: skip
CHARTS = {
    "mel/charts/bars.html": {
        "chart": {
            "title": "T",
            "height": 30.5,
            "x": 190,
            "bars": [BAR | {"drawn": True, "text_x": 517.6}],
        }
    },
    "mel/_bar_chart.html": {
        "chart": {"title": "T", "height": 30.5, "bars": [BAR | {"style": 1}]},
        "chart_id": "c",
    },
}


@pytest.mark.parametrize("template", sorted(CHARTS))
@pytest.mark.parametrize("language", ["pl", "fr", "el"])
def test_it_draws_chart_numbers_with_a_decimal_point(template, language):
    with translation.override(language):
        html = render_to_string(template, CHARTS[template])
    svg = html[html.index("<svg") : html.index("</svg>")]
    numbers = re.findall(r'(?:width|height|x|y|viewBox)="([^"]*)"', svg)
    assert numbers and not [value for value in numbers if "," in value], numbers
    assert 'width="321.6"' in svg


def test_a_dashboard_bar_has_its_label_on_a_line_of_its_own_above_it():
    """A label beside its bar ran into the value in Greek, Polish and Bulgarian (the label
    column was 190 units wide): each label now has the chart's whole width, on its own line."""
    from engage.mel.report.dashboards import CHART_WIDTH, Cell, _chart

    long = "Διακοπή συμμετοχής ή διαφυγή"
    chart = _chart("T", [(long, Cell("100%", 100)), ("B", Cell("40%", 40))], percent=True)
    first, second = chart["bars"]
    assert first["width"] == CHART_WIDTH
    for bar in (first, second):
        assert bar["label_y"] < bar["y"] < bar["text_y"] < bar["y"] + 20  # label, then bar
    assert first["text_y"] < second["label_y"] - 10  # rows apart
    assert chart["height"] >= second["y"] + 20
    html = render_to_string("mel/_bar_chart.html", {"chart": chart, "chart_id": "c"})
    assert f'<text x="0" y="{first["label_y"]}" class="chart-label">{long}</text>' in html
    assert (
        f'<text x="{CHART_WIDTH + 6}" y="{first["text_y"]}" class="chart-value">100%</text>' in html
    )
