"""Model letters: placeholders filled in by plain substitution, and the letter as a PDF.

A template is text, not a Django template: `{{ client_name }}` and the other names of
`PLACEHOLDERS` are replaced by their value, and nothing else is interpreted. No tag, no filter,
no attribute lookup (`{{ case.person.document_number }}` is not a placeholder), so a template
written by an organisation admin cannot run code or reach any data beyond these few values,
which the case manager sees in the draft before anything is saved. `check_body` refuses, when
the template is saved, anything that looks like template syntax but is not a known placeholder.

The draft is plain text the case manager edits; the PDF is made from it by WeasyPrint with the
text escaped (autoescape on, `linebreaks`), from a fixed layout with no external resource.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.accounts.models import User
from engage.cases.models import Case
from engage.liaison.models import LetterTemplate
from engage.lib import pdf

PLACEHOLDERS = {
    "client_name": gettext_lazy("The client's full name"),
    "case_reference": gettext_lazy("The case reference (K7Q4-M2XD)"),
    "today": gettext_lazy("Today's date, written in the template's language"),
    "case_manager": gettext_lazy("The case manager's name"),
    "organisation": gettext_lazy("Your organisation's name"),
}

# The longest a model letter's text, each of its translations and a letter may be: the PDF is
# laid out in the request, and 2 MB of text held a server process for 24 seconds and 550 MB.
MAX_LENGTH = 100_000

# A known placeholder, spaces allowed inside the braces.
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# Anything that looks like template syntax.
SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def check_body(body: str) -> None:
    """Refuse template syntax other than the known placeholders (ValidationError on "body")."""
    unknown = []
    for match in SYNTAX.finditer(body):
        name = PLACEHOLDER.fullmatch(match.group(0))
        if name is None or name.group(1) not in PLACEHOLDERS:
            unknown.append(match.group(0))
    if unknown:
        raise ValidationError(
            {
                "body": _(
                    "Only these placeholders can be used: %(known)s. Not understood: %(unknown)s."
                )
                % {
                    "known": ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS),
                    "unknown": ", ".join(sorted(set(unknown))),
                }
            }
        )


def values_for(case: Case, by: User, language: str, today: datetime.date) -> dict[str, str]:
    with translation.override(language):
        written = formats.date_format(today, "DATE_FORMAT")
    manager = case.case_manager or by
    return {
        "client_name": str(case.person),
        "case_reference": case.reference,
        "today": written,
        "case_manager": manager.get_full_name() or manager.username,
        "organisation": case.organisation.name,
    }


def render(body: str, values: dict[str, str]) -> str:
    """Replace each known placeholder by its value; leave every other character as it is."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return PLACEHOLDER.sub(fill, body)


def draft(
    template: LetterTemplate,
    case: Case,
    by: User,
    today: datetime.date,
    language: str | None = None,
) -> str:
    """The template's text in `language` (its own by default, or as written when it has no
    text in that language), its placeholders filled in, dates in that language."""
    language = language or template.language
    return render(template.body_in(language), values_for(case, by, language, today))


def as_pdf(text: str, *, title: str, organisation: str, language: str) -> bytes:
    html = render_to_string(
        "liaison/letter_pdf.html",
        {"text": text, "title": title, "organisation": organisation, "language": language},
    )
    return pdf.from_html(html)  # fetches nothing: a text cannot make it ask for a resource
