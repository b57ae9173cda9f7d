"""PDF documents laid out from HTML by WeasyPrint: the MEL report, letters, a person's data."""

from engage.lib.memory import collection_paused


def from_html(html: str, *, variant: str | None = None) -> bytes:
    """`html` laid out as a PDF (claiming `variant`, such as "pdf/ua-1", when given).

    Nothing is fetched: every document is its own text, styles and inline SVG, and a resource
    a text names (an image, a stylesheet, a font) is refused, with WeasyPrint's warning, rather
    than asked of the network or read from the disk (no protocol is allowed).

    The cyclic collector is paused meanwhile (`collection_paused`). WeasyPrint makes a box, a
    style and layout objects for every element, none of them garbage until the document is
    written, and the collections their allocations set off walked them again and again: a
    fifth of the network report's layout (issue 17: 4.9 s of CPU, 3.9 s paused, its memory
    the same: 171 and 176 MB at most). What it leaves is collected once it resumes.
    """
    from weasyprint import HTML, URLFetcher  # imported here: its system libraries take time

    with collection_paused():
        document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=()))
        pdf: bytes = document.write_pdf(pdf_variant=variant)
    return pdf
