"""The report as a document worth handing over (issue 14, section 4): a cover, contents with
page numbers, a summary in the network's words, charts, tables with human labels, an appendix;
a tagged PDF (PDF/UA-1) in the reader's language; the XLSX with its charts; the same body for a
page of the application; the evaluators' narrative where one was written for the period."""

import io
import random
import re
import zipfile

import pytest
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from engage.mel import services
from engage.mel.cycles import services as cycles
from engage.mel.dataset import submission
from engage.mel.dataset.rows import COLUMNS
from engage.mel.report import indicators, labels, render
from tests.mel.rows import row
from tests.pdf import pdf_pages

START, END = "2024-01", "2024-06"
PILOTS = ["BG-CLA", "CY-CYRC", "PL-SIP"]

# Every value of the dataset's closed columns that a careless rendering would print as it is
# (shared/spec/network-dataset.md): the codes with an underscore, the booleans, `unknown`, the
# age bands as written in the dataset, and the words of a statistician's table.
RAW = sorted(
    {column for column in COLUMNS if "_" in column}
    | {
        value
        for values in indicators.DOMAINS.values()
        for value in values
        if "_" in value or value in ("true", "false", "unknown") or "-" in value
    }
    | set(indicators.OUTCOME_TYPES) - {"protection", "regularisation", "other"}
    | {"negative_decision", "basic_needs", "contact_lost", "detention_centre"}
    | {"Numerator", "Denominator", "numerator", "denominator"}
)


def _demo_like(seed: int = 14) -> list[dict[str, str]]:
    """Three pilots of 70 clients each, with every kind of value the demo has: detention,
    statuses, vulnerabilities, closures of every reason, outcomes, ratings, contacts."""
    pick = random.Random(seed)  # noqa: S311 (made-up data, the same at every run)
    rows = []
    for number in range(210):
        pilot, cities = [("BG-CLA", ["Sofia", "Plovdiv"]), ("CY-CYRC", ["Nicosia"]),
                         ("PL-SIP", ["Warsaw", "Lodz"])][number % 3]  # fmt: skip
        included = f"{pick.choice([2022, 2023, 2024])}-{pick.randint(1, 12):02d}"
        included = min(included, "2024-05")
        reason = pick.choices(
            ["", "resolved", "disengaged", "absconded", "removed", "transferred"],
            [60, 15, 8, 4, 4, 2],
        )[0]
        outcome = pick.choice(["", "", "", "protection", "regularisation", "voluntary_return"])
        assessed = pick.random() < 0.7

        def rating(assessed=assessed):
            return str(pick.randint(1, 5)) if assessed else ""

        rows.append(
            row(
                number,
                pilot=pilot,
                city=pick.choice(cities),
                referral_month="2022-01",
                inclusion_month=included,
                detention_at_referral=pick.choice(["in_detention", "released", "at_risk", "none"]),
                migration_status=pick.choice(
                    ["asylum_seeker", "refused_asylum_seeker", "irregular", "barrier_to_return"]
                ),
                sex=pick.choice(["female", "male"]),
                age_band=pick.choice(["18-24", "25-34", "35-49", "50-64"]),
                vulnerable=pick.choice(["true", "false"]),
                engagement_level=pick.choice(["active", "active", "compliant", "disengaged"]),
                status="closed" if reason else "active",
                closure_month=max(included, "2024-03") if reason else "",
                closure_reason=reason,
                outcome=outcome,
                outcome_permanence="permanent" if outcome else "",
                outcome_month=included if outcome else "",
                assessments="3" if assessed else "1",
                idm_baseline="2" if assessed else "",
                idm_latest=rating(),
                engage_baseline="2" if assessed else "",
                engage_latest=rating(),
                wellbeing_baseline="3" if assessed else "",
                wellbeing_latest=rating(),
                contacts=str(pick.randint(4, 30)),
                face_to_face_contacts="3",
            )
        )
    return rows


def _report(level="network"):
    return services.report(
        _demo_like(), start=START, end=END, pilots=PILOTS, level=level,
        baseline=indicators.baseline_before(START, END),
    )  # fmt: skip


def _pages(pdf: bytes) -> list[str]:
    """The text of each page, as poppler's pdftotext reads it (whitespace collapsed)."""
    return [" ".join(page.split()) for page in pdf_pages(pdf)]


@pytest.fixture(scope="module")
def english():
    with translation.override("en"):
        report = _report()
        return report, render.as_pdf(report)


@pytest.fixture(scope="module")
def french():
    with translation.override("fr"):
        report = _report()
        return report, render.as_pdf(report)


def _by_id(report):
    return {i["id"]: i for i in report["indicators"]}


def test_it_prints_no_raw_code_of_the_dataset(english):
    _report_data, pdf = english
    text = " ".join(_pages(pdf))
    found = [code for code in RAW if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)]
    assert not found, found
    # The human words are there instead: a detention status, a vulnerability, a country.
    for words in ("Recently released from detention", "No identified vulnerability", "Bulgaria",
                  "Refused asylum seeker", "25 to 34"):  # fmt: skip
        assert words in text, words


def test_it_opens_with_a_cover_contents_and_a_summary_in_the_networks_words(english):
    report, pdf = english
    pages = _pages(pdf)
    by_id = _by_id(report)
    cover = pages[0]
    assert "Network indicators" in cover and "January 2024 to June 2024" in cover
    assert "BG-CLA (Bulgaria)" in cover and "Network: counts 1 to 4 shown as <5" in cover
    # The summary, shaped like the published evaluation, with the report's own figures.
    people, engaged = by_id["BEN-03"]["numerator"], by_id["ENG-01"]["value"]
    sentence = (
        f"Of {people} people supported up to June 2024, {engaged}% remained engaged with their "
        f"migration case, {by_id['ENG-02']['value']}% disengaged or absconded and "
        f"{by_id['ENG-03']['value']}% were forcibly removed."
    )
    summary_page = next(n for n, page in enumerate(pages) if sentence in page)
    assert f"{by_id['RES-01']['value']}% achieved case resolution." in pages[summary_page]
    # The contents list every section with the page it starts on, and that page has it.
    assert pages[1].startswith("Contents ")
    entries = re.findall(r"([A-Z][^.]+?) ?\.+ ?(\d+)", pages[1].removeprefix("Contents "))
    titles = [title.strip() for title, _ in entries]
    assert titles[:5] == [
        "Summary",
        "Charts",
        "Indicators",
        "Breakdowns",
        "Network building (NET-*)",
    ]
    assert titles[-2:] == ["Appendix A: definitions", "Appendix B: methods"]
    for title, page in entries:
        assert title.strip() in pages[int(page) - 1], (title, page)
    assert int(dict((t.strip(), p) for t, p in entries)["Summary"]) == summary_page + 1
    # Page numbers on every page but the cover; the appendix after every table.
    assert all(f"Page {n + 1} / {len(pages)}" in page for n, page in enumerate(pages) if n)
    appendix = next(n for n, page in enumerate(pages) if "Appendix A: definitions ENG" not in page
                    and page.startswith("Appendix A: definitions"))  # fmt: skip
    assert "Share of the cohort who remained engaged with their migration case" in " ".join(
        pages[appendix:]
    )
    assert "Data: " in " ".join(pages[appendix:])
    assert appendix > next(n for n, page in enumerate(pages) if page.startswith("Breakdowns"))


def test_its_summary_says_a_figure_is_withheld_rather_than_inventing_it():
    # Five clients, one removed: at public level the removed share is withheld, and so is
    # the cohort; the summary says so and prints no number for them.
    rows = [row(n, inclusion_month="2024-02") for n in range(4)] + [
        row(9, inclusion_month="2024-02", status="closed", closure_month="2024-04",
            closure_reason="removed")
    ]  # fmt: skip
    report = services.report(rows, start=START, end=END, pilots=["BG-CLA"], level="public")
    said = " ".join(render.summary(report))
    by_id = _by_id(report)
    assert by_id["ENG-03"]["value"] is None
    assert "a share withheld to protect small numbers were forcibly removed" in said
    assert not re.search(r"\d+(\.\d)?% were forcibly removed", said)


def test_the_pdf_is_tagged_for_screen_readers_in_its_language(english, french):
    for (_report_data, pdf), language in ((english, "en"), (french, "fr")):
        reader = PdfReader(io.BytesIO(pdf))
        root = reader.trailer["/Root"]
        assert "/StructTreeRoot" in root
        assert root["/MarkInfo"]["/Marked"].value is True
        assert root["/Lang"] == language
        metadata = root["/Metadata"].get_object().get_data()
        assert b"pdfuaid:part" in metadata  # it claims PDF/UA, in its XMP metadata
        with translation.override(language):
            assert translation.gettext("Network indicators") in reader.metadata.title


def test_the_pdf_in_french_is_french(french):
    report, pdf = french
    text = " ".join(_pages(pdf))
    with translation.override("fr"):
        title = translation.gettext("Network indicators")
        summary = translation.gettext("Summary")
        appendix = translation.gettext("Appendix A: definitions")
        first = render.summary(report)[0]
    assert title != "Network indicators" and title in text
    assert summary != "Summary" and appendix != "Appendix A: definitions"
    assert appendix in text and first in text and "janvier 2024" in text
    for english_words in ("Contents", "Appendix B: methods", "remained engaged", "Breakdowns"):
        assert english_words not in text, english_words


def test_the_xlsx_draws_the_charts_from_its_own_cells():
    report = _report()
    data = render.as_xlsx(report)
    book = load_workbook(io.BytesIO(data))
    sheet = book["Charts"]
    assert len(sheet._charts) == 4  # engagement, outcomes, improvement, the caseload
    assert any(
        name.startswith("xl/charts/chart") for name in zipfile.ZipFile(io.BytesIO(data)).namelist()
    )
    by_id = _by_id(report)
    values = {line[0]: line[1] for line in sheet.iter_rows(values_only=True) if line[0]}
    for indicator_id in ("ENG-01", "ENG-02", "ENG-03", "CAP-01"):
        label = f"{indicator_id} {render.NAMES[indicator_id]}"
        assert values[label] == by_id[indicator_id]["value"]  # None (empty) when withheld
    # The line of the caseload is the series as shown, month by month.
    months = [p["month"] for p in report["series"]["BEN-01"]]
    assert [values[m] for m in months] == [p["value"] for p in report["series"]["BEN-01"]]


def test_the_xlsx_speaks_the_readers_language_with_the_codes_beside_the_words():
    report = _report()
    with translation.override("fr"):
        book = load_workbook(io.BytesIO(render.as_xlsx(report)))
        names = {translation.gettext(name) for name in ("Indicators", "Breakdowns", "Coverage")}
    assert names <= set(book.sheetnames) and "Indicators" not in book.sheetnames
    cells = [
        value
        for sheet in book.worksheets
        for line in sheet.iter_rows(values_only=True)
        for value in line
        if isinstance(value, str)
    ]
    # Codes of the dataset only where they are codes: the indicator's id in its own column.
    for raw in ("detention_at_referral", "in_detention", "migration_status", "with_two_assessments",
                "true", "false", "yes", "Numerator"):  # fmt: skip
        assert raw not in cells, raw
    by_line = {line[0]: line for line in book.worksheets[0].iter_rows(values_only=True)}
    with translation.override("fr"):
        engaged = str(render.name_of("ENG-01"))
    assert by_line["ENG-01"][1] == engaged != "Remained engaged"
    assert by_line["ENG-01"][2] == _by_id(report)["ENG-01"]["numerator"]
    breakdowns = list(book.worksheets[1].iter_rows(values_only=True))
    with translation.override("fr"):
        detention = str(labels.dimension("detention_at_referral"))
        released = str(labels.key("detention_at_referral", "released"))
    assert detention != "Detention when referred"
    assert any(line[1] == detention and line[2] == released for line in breakdowns)


def test_the_appendix_defines_every_indicator_of_the_report():
    report = _report()
    for indicator in report["indicators"]:
        if render.parts.part_of(indicator["id"]) is None:
            assert labels.definition(indicator["id"]), indicator["id"]


def test_the_body_fits_in_a_page_of_the_application():
    report = _report()
    body = render.report_body(report)
    assert "<html" not in body and "<style" not in body and "@page" not in body
    assert 'id="summary"' in body and 'id="indicators"' in body and 'id="definitions"' in body
    assert render.summary(report)[0] in body.replace("&#x27;", "'")
    # The same sections as the document.
    assert body.strip() in render.as_html(report)


def test_breakdowns_are_labelled_in_words():
    report = _report()
    for indicator in report["indicators"]:
        for dimension, cells in indicator.get("by", {}).items():
            assert labels.dimension(dimension) != dimension, dimension
            for cell in cells:
                shown = labels.key(dimension, cell["key"])
                # Pilots and cities are names already, bands of months or clients ("1-3") too.
                if dimension not in ("pilot", "city") and not cell["key"][:1].isdigit():
                    assert shown != cell["key"], (dimension, cell["key"])
                if cell["key"].endswith("+"):
                    assert shown.endswith("and over"), shown


@pytest.mark.django_db
class TestNarrative:
    TERM = {"name": "Pilots 2023-2024", "period_start": "2023-01", "baseline": "2023-06",
            "six_months": "2023-12", "midterm": "2024-06", "end_of_term": "2024-12"}  # fmt: skip

    @pytest.fixture
    def written(self, nadia, tmp_path):
        folder = tmp_path / "sub"
        submission.write(folder, "BG-CLA", "2024-06",
                         [row(n, inclusion_month="2023-03") for n in range(30)])  # fmt: skip
        services.import_submission(folder)
        cycle = cycles.define_cycle(by=nadia, data=self.TERM)
        snapshot = cycles.take_snapshot(
            cycle, "midterm", by=nadia, level="network", source="imported", pilots=["BG-CLA"]
        )
        cycles.save_narrative(
            snapshot, "engagement", by=nadia, expected_version=None,
            data={"progress": "Clients stayed in touch through the winter.", "lessons": ""},
        )  # fmt: skip
        return snapshot

    def _report(self, by, level="network"):
        return services.report_for(
            start="2023-01", end="2024-06", pilots=["BG-CLA"], source="imported", level=level,
            by=by,
        )  # fmt: skip

    def test_the_networks_report_of_the_period_carries_it(self, written, nadia):
        report = self._report(nadia)
        assert report["evaluation"]["areas"] == [
            {"area": "engagement",
             "fields": [{"name": "progress", "text": "Clients stayed in touch through the winter."}]}
        ]  # fmt: skip
        html = render.as_html(report)
        assert "The evaluators&#x27; narrative" in html and "Mid-term" in html
        assert "Clients stayed in touch through the winter." in html
        assert 'href="#evaluation"' in html

    def test_a_report_at_a_stricter_level_or_another_period_does_not(self, written, nadia):
        # Written against network figures: a public report could show a count it hides.
        assert "evaluation" not in self._report(nadia, level="public")
        other = services.report_for(
            start="2023-01", end="2024-05", pilots=["BG-CLA"], source="imported",
            level="network", by=nadia,
        )  # fmt: skip
        assert "evaluation" not in other
