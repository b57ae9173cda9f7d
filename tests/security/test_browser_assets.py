"""R13: the browser loads nothing from anyone else: no external script, style, font or image,
in the templates or in the pages they render, and a CSP that names no other host."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from engage.cases.factories import CaseFactory
from tests.security.conftest import csp_directives

PACKAGE = Path(__file__).resolve().parents[2] / "engage"

# An attribute that makes the browser fetch or go somewhere, whose value names a host: with a
# scheme (http://, https://, ftp://...) or scheme-relative (//host).
EXTERNAL_ATTRIBUTE = re.compile(
    r"""\b(?:src|href|action|formaction|srcset|poster|data|xlink:href)\s*=\s*["']?\s*"""
    r"""(?:[a-z][a-z0-9+.-]*:)?//""",
    re.IGNORECASE,
)
# In style sheets: url(http://...), url(//...) and @import of anything.
EXTERNAL_CSS = re.compile(
    r"""url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//|@import""",
    re.IGNORECASE,
)


def _external_references(text: str, pattern: re.Pattern) -> list[str]:
    return [match.group(0) for match in pattern.finditer(text)]


def _files(folder: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.example.org/htmx.js"></script>',
        '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Inter">',
        "<img src='http://tracker.example.org/pixel.gif'>",
        "<img src=https://tracker.example.org/pixel.gif>",
        '<a href="https://example.org/">more</a>',
        '<form action="https://collector.example.org/">',
    ],
)
def test_it_scans_out_an_external_reference(snippet):
    assert _external_references(snippet, EXTERNAL_ATTRIBUTE)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'engage/app.js' %}\"></script>",
        '<link rel="icon" href="data:,">',
        "<a href=\"{% url 'dashboard:home' %}\">",
        '<a href="#main">',
        '<img src="/static/engage/logo.png">',
    ],
)
def test_it_lets_our_own_references_through_the_scan(snippet):
    assert not _external_references(snippet, EXTERNAL_ATTRIBUTE)


def test_it_has_no_external_reference_in_any_template():
    templates = _files(PACKAGE, ".html", ".txt", ".svg")
    assert len(templates) > 30
    found = {
        str(path.relative_to(PACKAGE)): refs
        for path in templates
        if (refs := _external_references(path.read_text(), EXTERNAL_ATTRIBUTE))
    }
    assert found == {}


def test_it_has_no_external_reference_in_any_style_sheet():
    sheets = _files(PACKAGE / "static", ".css")
    assert sheets
    found = {
        str(path.relative_to(PACKAGE)): refs
        for path in sheets
        if (refs := _external_references(path.read_text(), EXTERNAL_CSS))
    }
    assert found == {}


class _References(HTMLParser):
    """Collect every URL a page's elements point at."""

    ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in self.ATTRIBUTES and value]


@pytest.mark.django_db
def test_it_renders_pages_that_point_only_at_engage(client, organisation, alice, as_user):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    pages = [client.get("/accounts/login/").content]
    signed_in = as_user(alice)
    pages += [signed_in.get(url).content for url in ("/", "/cases/", case.get_absolute_url())]
    for page in pages:
        parser = _References()
        parser.feed(page.decode())
        assert parser.urls  # the parser did find the page's links and assets
        for url in parser.urls:
            parts = urlsplit(url)
            assert parts.netloc == "" and parts.scheme in ("", "data"), url


ALLOWED_SOURCES = re.compile(r"^(?:'self'|'none'|'nonce-[A-Za-z0-9+/=_-]+'|data:|/[a-z0-9/_-]*)$")


@pytest.mark.django_db
def test_it_sends_a_csp_that_names_no_other_host(as_user, alice):
    response = as_user(alice).get("/")
    directives = csp_directives(response)
    assert directives["default-src"] == "'self'"
    for name, value in directives.items():
        for source in value.split():
            assert ALLOWED_SOURCES.match(source), (name, source)
