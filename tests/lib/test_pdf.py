"""PDF documents laid out from HTML (engage.lib.pdf)."""

import gc

from PIL import Image
from weasyprint import HTML

from engage.lib import pdf
from tests.pdf import pdf_pages


def _named_resources(tmp_path):
    """A page naming an image and a stylesheet on this machine's disk, as a hostile text could."""
    Image.new("RGB", (40, 40), "red").save(tmp_path / "seen.png")
    (tmp_path / "seen.css").write_text("p::after { content: 'FETCHED'; }")
    return (
        f'<link rel="stylesheet" href="file://{tmp_path}/seen.css">'
        f'<p>Letter</p><img src="file://{tmp_path}/seen.png" alt="photo">'
    )


def test_it_fetches_nothing_a_document_names(tmp_path):
    html = _named_resources(tmp_path)
    # WeasyPrint alone reads both: the test would see them.
    fetched = HTML(string=html).write_pdf()
    assert b"/Subtype /Image" in fetched and "FETCHED" in " ".join(pdf_pages(fetched))

    laid_out = pdf.from_html(html)

    assert b"/Subtype /Image" not in laid_out
    text = " ".join(pdf_pages(laid_out))
    assert "Letter" in text and "FETCHED" not in text


def test_it_runs_no_collection_while_laying_out_and_resumes_the_collector_after():
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    html = "<table>{}</table>".format(
        "".join(f"<tr><th>{n}</th><td>{n * 3}</td></tr>" for n in range(100))
    )  # WeasyPrint alone collects about 44 times laying it out (400 rows: 215, and 1.2 s)
    thresholds = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's own (the suite raises them: tests/conftest.py)
    gc.callbacks.append(count)
    try:
        HTML(string=html).write_pdf()  # WeasyPrint alone: the collector runs again and again
        unpaused = len(collections)
        collections.clear()
        pdf.from_html(html)
        paused = len(collections)
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*thresholds)
    assert unpaused >= 5
    assert paused <= 1  # at most one set off on the way in, before the pause
    assert gc.isenabled()
