"""The text of a PDF, page by page, for tests that check what a document says.

Read with poppler's `pdftotext` (Debian's poppler-utils; `.ci/run` installs it) rather than
pypdf's `extract_text`, which parses the reports' tagged object streams in Python: the eight
modules that read a PDF's text took 95 s of CPU with pypdf and 81 s with poppler, back to back
(docs/testing.md). pypdf stays where a test looks at a PDF's structure (its tags, metadata).
"""

import shutil
import subprocess

PDFTOTEXT = shutil.which("pdftotext") or "pdftotext"


def pdf_pages(pdf: bytes, *, drawn: bool = False) -> list[str]:
    """Each page's text as pdftotext reads it (a page with no text is "").

    In poppler's reading order, or with `drawn` in the order the document draws it, which keeps
    a table's row on one line as WeasyPrint lays it out (pypdf's order).
    """
    order = ["-raw"] if drawn else []
    text = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [PDFTOTEXT, *order, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    # pdftotext ends every page, the last included, with a form feed.
    return text.split("\f")[:-1]


def pdf_text(pdf: bytes, *, drawn: bool = False) -> str:
    """The whole document's words, whitespace collapsed to single spaces."""
    return " ".join(" ".join(pdf_pages(pdf, drawn=drawn)).split())
