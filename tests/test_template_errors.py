"""A field's errors drawn by hand in a template are linked to it: Django points the control's
aria-describedby at "<id>_error" (and a group's fieldset must point there itself), so a list
of errors without that id leaves the reference dangling and the error unsaid when the field
is reached (the activities' filters, the reassignment, the MEL period, the import's mapping)."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "engage" / "templates"
ERROR_LIST = re.compile(r'<ul class="errorlist"(?P<attrs>[^>]*)>')
ERROR_ID = re.compile(r'\bid="\{\{ (?:[\w.]+)\.auto_id \}\}_error"')
# A fieldset drawn by hand for a group of choices, with its errors inside.
# Errors run together in a paragraph of their own: no id, no list.
JOINED = re.compile(r"\.errors\|join")
HAND_FIELDSET = re.compile(r"<fieldset[^>]*\{% if (?P<field>[\w.]+)\.errors %\} has-error[^>]*>")


def _templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        yield path.relative_to(TEMPLATES), path.read_text()


def test_every_error_list_drawn_by_hand_has_the_id_its_field_points_at():
    unlinked = [
        f"{name}:{text[: match.start()].count(chr(10)) + 1}"
        for name, text in _templates()
        for match in ERROR_LIST.finditer(text)
        if not ERROR_ID.search(match.group("attrs"))
    ]
    joined = [name for name, text in _templates() if JOINED.search(text)]
    assert unlinked == [] and joined == []


def test_every_fieldset_drawn_by_hand_points_at_its_errors():
    unlinked = [
        f"{name}:{text[: match.start()].count(chr(10)) + 1}"
        for name, text in _templates()
        for match in HAND_FIELDSET.finditer(text)
        if f"{match.group('field')}.auto_id }}}}_error" not in match.group(0)
    ]
    assert unlinked == []


def test_it_finds_them():
    assert ERROR_LIST.search('<ul class="errorlist">')
    assert not ERROR_ID.search(ERROR_LIST.search('<ul class="errorlist">').group("attrs"))
    assert ERROR_ID.search(' id="{{ form.which.auto_id }}_error"')
    hand = '<fieldset class="field{% if form.which.errors %} has-error{% endif %}">'
    assert HAND_FIELDSET.search(hand).group("field") == "form.which"
    assert JOINED.search('<p class="error">{{ field.errors|join:" " }}</p>')
