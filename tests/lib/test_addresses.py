"""Addresses reversed once and kept (`engage.lib.addresses`, `{% address %}`): the same as
`reverse` gives, under whatever script prefix or URLconf is in force when asked."""

import re
from pathlib import Path

from django.template import engines
from django.urls import clear_script_prefix, reverse, set_script_prefix

from engage.lib.addresses import address

TEMPLATES = Path(__file__).resolve().parents[2] / "engage" / "templates"


def _names_used():
    used = set()
    for template in TEMPLATES.rglob("*.html"):
        used.update(re.findall(r"\{% address '([^']+)' %\}", template.read_text()))
    return used


def test_it_gives_what_reverse_gives_for_every_name_the_templates_keep():
    names = _names_used()
    assert {"dashboard:home", "set_language", "accounts:logout"} <= names
    for name in names:
        assert address(name) == reverse(name)


def test_it_follows_the_script_prefix_in_code_and_in_a_template():
    template = engines["django"].from_string("{% load addresses %}{% address 'dashboard:home' %}")
    assert (address("accounts:logout"), template.render({})) == (reverse("accounts:logout"), "/")
    set_script_prefix("/engage/")
    try:
        assert address("accounts:logout") == reverse("accounts:logout")
        assert address("accounts:logout").startswith("/engage/")
        assert template.render({}) == "/engage/"
    finally:
        clear_script_prefix()
    assert template.render({}) == "/"


def test_it_follows_another_urlconf(settings):
    before = address("agenda:week")
    settings.ROOT_URLCONF = "tests.accounts.navigation_urls"
    assert address("agenda:week") == "/elsewhere" + before == reverse("agenda:week")
