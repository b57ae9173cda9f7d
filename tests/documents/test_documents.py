"""Documents attached to a case (R30): checked, stripped of metadata, encrypted, scoped."""

import struct
import tracemalloc
import zlib
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from engage.audit.models import AuditEvent
from engage.cases import services as cases
from engage.cases import workflow
from engage.cases.access import get_case_for_user
from engage.cases.factories import CaseFactory, to_active
from engage.documents import services, storage
from engage.documents.models import Document
from engage.privacy.services import erase_person
from tests.row_locks import waits_for

pytestmark = pytest.mark.django_db

GPS_SENTINEL = "SentinelCameraMaker"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (8, 8), "red")
    exif = Image.Exif()
    exif[0x010F] = GPS_SENTINEL  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "E", 4: (0.0, 7.0, 0.0)}  # GPS
    out = BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_bytes() -> bytes:
    out = BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, format="PNG")
    return out.getvalue()


def pdf_with_metadata() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "SentinelAuthor", "/Title": "Decision"})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_actions() -> bytes:
    """A page with its own XMP and private data, a script run when it opens, a link that runs
    a script and one to a web address."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    xmp = StreamObject()
    xmp.set_data(b"<x:xmpmeta><dc:creator>SentinelPageXMP</dc:creator></x:xmpmeta>")
    page[NameObject("/Metadata")] = writer._add_object(xmp)
    page[NameObject("/PieceInfo")] = DictionaryObject(
        {NameObject("/App"): TextStringObject("SentinelPieceInfo")}
    )

    def action(kind, **values):
        return DictionaryObject(
            {NameObject("/S"): NameObject(kind)}
            | {NameObject(f"/{k}"): TextStringObject(v) for k, v in values.items()}
        )

    page[NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): action("/JavaScript", JS="app.alert('SentinelOpenJS')")}
    )

    def link(target):
        return writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 100, 100)]),
            NameObject("/A"): target,
        }))  # fmt: skip

    page[NameObject("/Annots")] = ArrayObject([
        link(action("/JavaScript", JS="app.alert('SentinelLinkJS')")),
        link(action("/URI", URI="https://example.org/SentinelWeb")),
    ])  # fmt: skip
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF written by hand, object by object (1 is the catalogue), with its cross-reference
    table: for structures pypdf's writer would not make."""
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def one_page_pdf(annots: bytes, *more: bytes) -> bytes:
    """A one-page PDF whose page's /Annots is `annots` (objects 4 on are `more`)."""
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots %s >>" % annots,
        *more,
    )


JS_LINK = (
    b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /JavaScript /JS (SentinelJS) >> >>"
)


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(organisation=organisation, case_manager=alice)


def _upload(client, case, data, name="scan.jpg", title="Decision of the asylum office"):
    return client.post(
        f"/documents/cases/{case.pk}/",
        {"kind": "decision", "title": title, "file": SimpleUploadedFile(name, data)},
    )


class TestDocuments:
    def test_it_strips_gps_and_camera_data_from_a_photo(self, as_user, alice, case):
        assert _upload(as_user(alice), case, jpeg_with_exif()).status_code == 302
        document = Document.objects.get()
        stored = storage.load(document.pk)
        assert GPS_SENTINEL.encode() not in stored
        assert not Image.open(BytesIO(stored)).getexif()

    def test_it_strips_a_pdfs_metadata(self, as_user, alice, case):
        _upload(as_user(alice), case, pdf_with_metadata(), name="decision.pdf")
        stored = storage.load(Document.objects.get().pk)
        assert b"SentinelAuthor" not in stored
        assert len(PdfReader(BytesIO(stored)).pages) == 1

    def test_it_strips_a_pages_scripts_and_own_metadata_and_keeps_its_web_links(
        self, as_user, alice, case
    ):
        assert _upload(as_user(alice), case, pdf_with_actions(), name="a.pdf").status_code == 302
        stored = storage.load(Document.objects.get().pk)
        for sentinel in (b"SentinelPageXMP", b"SentinelPieceInfo", b"SentinelOpenJS",
                         b"SentinelLinkJS", b"/JavaScript"):  # fmt: skip
            assert sentinel not in stored, sentinel
        page = PdfReader(BytesIO(stored)).pages[0]
        links = [annotation.get_object() for annotation in page["/Annots"]]
        assert [link.get("/A", {}).get("/URI") for link in links] == [
            None, "https://example.org/SentinelWeb"
        ]  # fmt: skip

    @pytest.mark.parametrize(
        "data",
        [
            b"%PDF-1.4\nxref\n0 99999999\nstartxref\n9\n%%EOF",  # a pypdf limit reached
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R"
            b" >>\n%%EOF",  # pages that are not there
        ],
    )
    def test_it_refuses_a_pdf_it_cannot_read_next_to_the_field(self, as_user, alice, case, data):
        response = _upload(as_user(alice), case, data, name="a.pdf")
        assert response.status_code == 200
        assert "This PDF cannot be read." in response.content.decode()
        assert not Document.objects.exists()

    @pytest.mark.parametrize(
        "annots",
        [
            b"[null 4 0 R]",  # an empty slot, as some generators leave
            b"[42 /Link (text) 4 0 R]",  # entries that are no annotation
            b"[<< /Subtype /Link /Rect [0 0 9 9] /A 7 >> 4 0 R]",  # an action that is a number
            b"<< /Link 4 0 R >>",  # a dictionary where an array belongs
            b"(4 0 R)",  # a string where an array belongs
        ],
    )
    def test_it_attaches_a_pdf_with_odd_annotations_without_a_server_error_or_their_scripts(
        self, as_user, alice, case, annots
    ):
        """An annotation that was not a dictionary (`/Annots [null]`) made the cleaning raise
        AttributeError, which nothing caught: the upload was a server error."""
        response = _upload(as_user(alice), case, one_page_pdf(annots, JS_LINK), name="a.pdf")
        assert response.status_code == 302
        stored = storage.load(Document.objects.get().pk)
        assert b"SentinelJS" not in stored and b"/JavaScript" not in stored
        assert len(PdfReader(BytesIO(stored)).pages) == 1

    def test_it_strips_a_script_chained_after_a_web_link_and_files_embedded_in_annotations(
        self, as_user, alice, case
    ):
        """A link to a web address kept the script it runs next (`/Next`), and a page's file
        attachment or rich media took any file past the type check and its metadata stripping
        (a program, a photo with its GPS position), served to colleagues as the document."""
        data = one_page_pdf(
            b"[4 0 R 5 0 R 7 0 R 8 0 R]",
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI"
            b" /URI (https://example.org/SentinelWeb)"
            b" /Next << /S /JavaScript /JS (SentinelNextJS) >> >> >>",
            b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9]"
            b" /FS << /Type /Filespec /F (SentinelName.exe) /EF << /F 6 0 R >> >> >>",
            b"<< /Length 22 >>\nstream\nSentinelEmbeddedProgram\nendstream",
            b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] /RichMediaContent"
            b" << /Assets << /Names [(a.swf) << /Type /Filespec /EF << /F 6 0 R >> >>] >> >> >>",
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9]"
            b" /A << /S /GoToR /F (\\\\SentinelHost\\share\\a.pdf) /D [0 /Fit] >> >>",
        )
        response = _upload(as_user(alice), case, data, name="a.pdf")
        assert response.status_code == 302
        stored = storage.load(Document.objects.get().pk)
        for sentinel in (b"SentinelNextJS", b"/JavaScript", b"SentinelEmbeddedProgram",
                         b"SentinelName", b"SentinelHost", b"/EmbeddedFile", b"/EF"):  # fmt: skip
            assert sentinel not in stored, sentinel
        page = PdfReader(BytesIO(stored)).pages[0]
        links = [annotation.get_object() for annotation in page["/Annots"]]
        assert [link.get("/A", {}).get("/URI") for link in links] == [
            "https://example.org/SentinelWeb", None
        ]  # fmt: skip

    def test_it_keeps_the_file_encrypted_outside_the_web_root(self, as_user, alice, case, settings):
        _upload(
            as_user(alice), case, pdf_with_metadata(), name="decision.pdf", title="Sentineltitle"
        )
        document = Document.objects.get()
        raw = storage.path_for(document.pk).read_bytes()
        assert not raw.startswith(b"%PDF") and b"Decision" not in raw
        assert str(settings.STATIC_ROOT) not in str(storage.path_for(document.pk))

    def test_it_refuses_what_is_not_a_pdf_or_an_image(self, as_user, alice, case):
        response = _upload(as_user(alice), case, b"<script>alert(1)</script>", name="evil.pdf")
        assert "Attach a PDF, a JPEG or a PNG file." in response.content.decode()
        assert not Document.objects.exists()

    def test_it_refuses_a_file_over_the_limit(self, as_user, alice, case, settings):
        settings.ENGAGE_DOCUMENT_MAX_BYTES = 1000
        response = _upload(as_user(alice), case, b"%PDF-" + b"0" * 2000, name="big.pdf")
        assert "larger than" in response.content.decode()
        assert not Document.objects.exists()

    def test_it_refuses_a_huge_file_without_reading_it_into_memory(self, as_user, alice, case):
        """The size was checked on the bytes the view had read whole: a case worker's upload of
        gigabytes (spooled to disk by Django) was loaded into the web process's memory first,
        where the import's and the network submission's forms check the declared size."""
        size = 48 * 2**20
        body = encode_multipart(
            BOUNDARY,
            {
                "kind": "decision",
                "title": "Big",
                "file": SimpleUploadedFile("big.pdf", b"%PDF-" + bytes(size)),
            },
        )
        client = as_user(alice)
        tracemalloc.start()
        response = client.generic(
            "POST", f"/documents/cases/{case.pk}/", body, content_type=MULTIPART_CONTENT
        )
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert "larger than 10 MB" in response.content.decode()
        assert not Document.objects.exists()
        # The test client's own copy of the request body, and little more.
        assert peak < len(body) + 16 * 2**20, peak // 2**20

    def test_it_limits_the_number_of_documents_per_case(self, as_user, alice, case, settings):
        settings.ENGAGE_DOCUMENTS_PER_CASE = 1
        client = as_user(alice)
        _upload(client, case, png_bytes(), name="a.png")
        response = _upload(client, case, png_bytes(), name="b.png")
        assert "the most it can hold" in response.content.decode()
        assert Document.objects.count() == 1

    def test_it_serves_a_download_as_an_attachment_and_audits_it(self, as_user, alice, case):
        client = as_user(alice)
        _upload(client, case, png_bytes(), name="a.png")
        document = Document.objects.get()
        response = client.get(f"/documents/{document.pk}/download/")
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert AuditEvent.objects.filter(action="view", object_id=document.pk).count() == 1

    def test_an_outsider_gets_404(self, as_user, alice, charlie, ada, case):
        _upload(as_user(alice), case, png_bytes(), name="a.png")
        document = Document.objects.get()
        for user in (charlie, ada):
            client = as_user(user)
            assert client.get(f"/documents/{document.pk}/download/").status_code == 404
            assert client.get(f"/documents/cases/{case.pk}/").status_code == 404

    def test_deleting_removes_the_file(
        self, as_user, alice, case, django_capture_on_commit_callbacks
    ):
        client = as_user(alice)
        _upload(client, case, png_bytes(), name="a.png")
        document = Document.objects.get()
        path = storage.path_for(document.pk)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/documents/{document.pk}/delete/")
        assert response.status_code == 302 and not Document.objects.exists()
        assert not path.exists()


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header declaring `width` x `height` pixels, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class TestDecompressionBombs:
    """docs/security.md, issue 10 items 10 and 17: a PNG declaring 20000 x 20000 pixels gave a
    500, one of 9400 x 9400 took 640 MB; both are refused from the header, as a form error."""

    @pytest.mark.parametrize("size", [(20000, 20000), (9400, 9400), (8000, 6000)])
    def test_it_refuses_an_image_of_too_many_pixels_as_a_form_error(
        self, as_user, alice, case, size
    ):
        data = png_declaring(*size)
        assert len(data) < 1000
        tracemalloc.start()
        response = _upload(as_user(alice), case, data, name="scan.png")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert response.status_code == 200
        page = response.content.decode()
        assert "40 million pixels" in page
        assert "Scan or photograph it at a lower resolution." in page
        assert not Document.objects.exists()
        assert peak < 50 * 2**20

    def test_pillows_own_limit_is_lowered_for_the_whole_process(self):
        from engage.lib import images

        assert Image.MAX_IMAGE_PIXELS == images.MAX_PIXELS == 40_000_000

    def test_an_image_under_the_limit_is_still_attached(self, as_user, alice, case):
        out = BytesIO()
        Image.new("RGB", (2000, 1500), "white").save(out, format="PNG")
        assert _upload(as_user(alice), case, out.getvalue(), name="scan.png").status_code == 302
        assert Document.objects.filter(case=case).count() == 1


class TestWhileTheFileIsCleaned:
    """The page loads the case, then the file is cleaned (seconds for a large PDF, or a
    letter laid out): an erasure or a closure in between was not seen by the service."""

    def test_it_attaches_nothing_to_a_case_whose_person_was_erased_meanwhile(
        self, alice, bob, case, django_capture_on_commit_callbacks
    ):
        """The document of an erased person stayed for good: erasure is never run twice."""
        loaded = get_case_for_user(alice, case.pk, for_work=True)  # as the page loads it
        with django_capture_on_commit_callbacks(execute=True):
            erase_person(case.person, by=bob, reason="request")
        with pytest.raises(ValidationError) as refused:
            services.attach(loaded, by=alice, kind="identity", title="Passport", data=png_bytes())
        assert refused.value.messages == [str(workflow.ERASED)]
        assert not Document.objects.exists()

    def test_it_attaches_nothing_to_a_case_closed_meanwhile(self, organisation, alice, bob):
        """A closed case keeps its documents: one attached after the closure could not be
        deleted either."""
        case, _plan = to_active(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        loaded = get_case_for_user(alice, case.pk, for_work=True)
        closure = cases.request_closure(
            case,
            by=alice,
            data={
                "date": timezone.localdate(),
                "reason": "transferred",
                "disengagement_factors": [],
            },
        )
        cases.review_closure(closure, by=bob, approve=True)
        with pytest.raises(ValidationError):
            services.attach(loaded, by=alice, kind="identity", title="Passport", data=png_bytes())
        assert not Document.objects.exists()

    @pytest.mark.skipif(
        connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
    )
    @pytest.mark.django_db(transaction=True)  # two connections see each other's commits
    def test_an_upload_waits_for_an_erasure_under_way_then_is_refused(self, alice, bob, case):
        loaded = get_case_for_user(alice, case.pk, for_work=True)

        def attach():
            return services.attach(
                loaded, by=alice, kind="identity", title="Passport", data=png_bytes()
            )

        refused = waits_for(lambda: erase_person(case.person, by=bob, reason="request"), attach)
        assert isinstance(refused, ValidationError)
        assert refused.messages == [str(workflow.ERASED)]
        assert not Document.objects.exists()
