"""Django's `{# … #}` comment is one line only: spread over several it is printed on the page
as text (a developer's note shown to the people using Engage, as the supervisor's page once
did). Longer notes use `{% comment %}`."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "engage" / "templates"
SPREAD = re.compile(r"\{#(?:(?!#\}).)*\n", re.S)


def test_no_template_spreads_a_one_line_comment_over_several_lines():
    spread = [
        f"{path.relative_to(TEMPLATES)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for text in [path.read_text()]
        for match in SPREAD.finditer(text)
    ]
    assert spread == []


def test_it_finds_one():
    assert SPREAD.search("<p>{# a note\n   over two lines #}</p>")
    assert not SPREAD.search("<p>{# one line #}</p>\n<p>{# another #}</p>\n")
