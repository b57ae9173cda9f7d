"""Charts keep SVG's decimal point in every language: a decimal comma ("80,4") in a width or
a position is not a number to SVG, so in Polish, French or Greek the bars of the report and
the dashboards were not drawn and their values piled up at the left (found walking the
Polish PDF report)."""

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

BAR = {"label": "ENG-01", "text": "80,4% (119/148)", "y": 4.5, "text_y": 17.5, "width": 321.6}
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
