"""The network's months and disclosure levels in the reader's words on the pages, not the codes
they are stored as ("2025-12", "network")."""

from django.template import Context, Template
from django.utils import translation


def _said(text: str) -> str:
    return Template("{% load months %}" + text).render(Context({}))


def test_a_month_and_a_level_are_said_in_the_readers_language():
    assert _said("{{ '2025-12'|month }}") == "December 2025"
    assert _said("{{ 'network'|disclosure_level }}") == "Network: counts 1 to 4 shown as &lt;5"
    with translation.override("pl"):
        assert _said("{{ '2025-12'|month }}") == "grudzień 2025"
    # Anything else as it is.
    assert _said("{{ 'soon'|month }}") == "soon"
