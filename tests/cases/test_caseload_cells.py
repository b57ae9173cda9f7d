"""The caseload tables' two busiest cells, drawn by template tags (`next_contact_due`,
`due_badges` in cases/templatetags/caseload.py) instead of two templates included twice a row:
the same HTML as those templates gave, in every language, and nothing unescaped."""

import datetime
import re

import pytest
from django.template import engines
from django.utils import translation

from engage.cases.due import Due, DueItem

# The templates as they were (cases/_next_contact.html, cases/_due_badges.html): the reference.
NEXT_CONTACT = (
    "{% load caseload %}{% if row.next_contact_on %}<time datetime=\"{{ row.next_contact_on|date:'Y-m-d' }}\">"
    '{% if short %}{{ row.next_contact_on|date:"SHORT_DATE_FORMAT" }}{% else %}{{ row.next_contact_on }}{% endif %}'
    '</time> <span class="lateness{% if row.next_contact_overdue > 0 %} late{% endif %}">'
    "{{ row.next_contact_overdue|lateness }}</span>{% else %}—{% endif %}"
)
DUE_BADGES = (
    "{% load i18n caseload %}{% for item in due %}{% if link %}"
    '<a class="badge due due-{{ item.kind }} tier-{{ item.tier }}" href="{{ link }}">{% else %}'
    '<span class="badge due due-{{ item.kind }} tier-{{ item.tier }}">{% endif %}{{ item.label }}'
    "{% if item.since %} · {% blocktranslate with date=item.since %}since {{ date }}{% endblocktranslate %}"
    "{% elif item.days_overdue is not None %} · {{ item.days_overdue|lateness }}{% endif %}"
    '{% if link %}</a>{% else %}</span>{% endif %} {% empty %}<span class="muted">—</span>{% endfor %}'
)
NOW_NEXT_CONTACT = "{% load caseload %}{% next_contact_due row.next_contact_on row.next_contact_overdue short=short %}"
NOW_DUE_BADGES = "{% load caseload %}{% due_badges due link=link %}"

LANGUAGES = ["en", "fr", "nl", "bg", "el", "it", "pl"]
DAY = datetime.date(2026, 2, 28)


def _draw(source: str, context: dict) -> str:
    html = engines["django"].from_string(source).render(context)
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("short", [True, False])
@pytest.mark.parametrize("overdue", [None, -3, 0, 1, 22])
def test_it_shows_when_the_next_contact_is_due_as_the_template_did(language, short, overdue):
    for on in (DAY, None):
        row = {"next_contact_on": on, "next_contact_overdue": overdue}
        with translation.override(language):
            now = _draw(NOW_NEXT_CONTACT, {"row": row, "short": short})
            assert now == _draw(NEXT_CONTACT, {"row": row, "short": short})
    with translation.override("en"):
        late = _draw(
            NOW_NEXT_CONTACT, {"row": {"next_contact_on": DAY, "next_contact_overdue": 22}}
        )
    assert late == (
        '<time datetime="2026-02-28">28 February 2026</time> '
        '<span class="lateness late">overdue by 22 days</span>'
    )


ITEMS = [
    DueItem(Due.CONTACT, "Contact due", 12),
    DueItem(Due.DISENGAGED, "Disengaged", None, since=DAY),
    DueItem(Due.ACTIONS, "Actions overdue", 0),
    DueItem(Due.PLAN_REVIEW, "Plan review due", -4),
    DueItem(Due.APPROVAL, "Waiting for approval", None),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("link", ["", "/cases/3f2a/"])
@pytest.mark.parametrize("items", [[], ITEMS[:1], ITEMS], ids=["none", "one", "every-kind"])
def test_it_shows_the_badges_of_what_is_due_as_the_template_did(language, link, items):
    with translation.override(language):
        now = _draw(NOW_DUE_BADGES, {"due": items, "link": link})
        assert now == _draw(DUE_BADGES, {"due": items, "link": link})
    assert now.count("badge due") == len(items)


def test_it_escapes_a_label_and_a_link():
    hostile = DueItem(Due.CONTACT, '<script>alert("x")</script>', 3)
    html = _draw(NOW_DUE_BADGES, {"due": [hostile], "link": '/"><script>'})
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'href="/&quot;&gt;&lt;script&gt;"' in html
