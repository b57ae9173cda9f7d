"""The images inside an attached PDF lose their own metadata (R30, docs/security.md).

A scan or a phone's photo saved as a PDF keeps the photo's EXIF (the camera, the GPS position
of where it was taken), its XMP and IPTC; an image or a form of the PDF may carry XMP of its
own. Only the document's and the pages' metadata were taken out.
"""

import shutil
import subprocess
import zlib
from io import BytesIO

import pytest
from PIL import Image, ImageCms
from pypdf import PdfReader

from engage.cases.factories import CaseFactory
from engage.documents import services
from engage.documents.models import Document
from engage.lib import jpeg
from tests.documents.test_documents import GPS_SENTINEL, _upload, raw_pdf

pytestmark = pytest.mark.django_db
PDFIMAGES = shutil.which("pdfimages")

SENTINELS = (
    GPS_SENTINEL.encode(),  # the camera, in EXIF
    b"Exif\x00\x00",
    b"http://ns.adobe.com/xap/1.0/",  # a JPEG's XMP segment
    b"SentinelJpegXMP",
    b"SentinelComment",
    b"SentinelIPTC",
    b"ICC_PROFILE",
    b"SentinelImageXMP",
    b"SentinelFormXMP",
    b"SentinelFontXMP",
    b"SentinelPieceInfo",
    b"SentinelTrailer",
)


def pixels() -> Image.Image:
    image = Image.new("RGB", (16, 12))
    image.putdata([(x * 15, y * 20, (x * y) % 256) for y in range(12) for x in range(16)])
    return image


def photo(**options) -> bytes:
    """A phone's photo: EXIF with the camera and a GPS position, XMP, a comment, an ICC
    profile, IPTC (APP13) and a maker's trailer after its end."""
    exif = Image.Exif()
    exif[0x010F] = GPS_SENTINEL  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "E", 4: (0.0, 7.0, 0.0)}  # GPS
    out = BytesIO()
    pixels().save(
        out,
        format="JPEG",
        exif=exif,
        xmp=b"<x:xmpmeta>SentinelJpegXMP</x:xmpmeta>",
        comment="SentinelComment",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
        **options,
    )
    data = out.getvalue()
    iptc = b"Photoshop 3.0\x00SentinelIPTC"
    app13 = b"\xff\xed" + (len(iptc) + 2).to_bytes(2, "big") + iptc
    return data[:2] + app13 + data[2:] + b"SentinelTrailer"


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def image(data: bytes, filters: bytes = b"/DCTDecode") -> bytes:
    return stream(
        b"/Type /XObject /Subtype /Image /Width 16 /Height 12 /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter %s" % filters,
        data,
    )


def xmp(sentinel: bytes) -> bytes:
    return stream(b"/Type /Metadata /Subtype /XML", b"<x:xmpmeta>%s</x:xmpmeta>" % sentinel)


def pdf_with_images(*images: bytes) -> bytes:
    """One page drawing `images` (objects 10 on), an image with its own XMP, a form with XMP
    and an application's private data, and a font with XMP."""
    names = b" ".join(b"/Im%d %d 0 R" % (n, 10 + n) for n in range(len(images)))
    draws = b" ".join(b"q 16 0 0 12 %d 0 cm /Im%d Do Q" % (20 * n, n) for n in range(len(images)))
    draws += b" /Fm0 Do BT /F1 9 Tf 10 100 Td (Hello) Tj ET"
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources"
        b" << /XObject << %s /Fm0 6 0 R /Flat 8 0 R >> /Font << /F1 7 0 R >> >> >>" % names,
        stream(b"", draws),
        xmp(b"SentinelFormXMP"),
        stream(
            b"/Type /XObject /Subtype /Form /BBox [0 0 9 9] /Metadata 5 0 R"
            b" /PieceInfo << /App << /Private (SentinelPieceInfo) >> >>",
            b"0 0 9 9 re f",
        ),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Metadata 9 0 R >>",
        stream(
            b"/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray"
            b" /BitsPerComponent 8 /Metadata 9 0 R",
            b"\x80",
        ),
        xmp(b"SentinelFontXMP SentinelImageXMP"),
        *images,
    )


def jpegs_of(pdf: bytes) -> list[bytes]:
    page = PdfReader(BytesIO(pdf)).pages[0]
    found = []
    for name in sorted(page["/Resources"]["/XObject"]):
        xobject = page["/Resources"]["/XObject"][name].get_object()
        if xobject.get("/Filter") == "/DCTDecode":
            found.append(xobject.get_data())
    return found


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(organisation=organisation, case_manager=alice)


class TestImagesInsideAPdf:
    def test_it_takes_out_the_metadata_of_every_image_and_object(self):
        original = photo()
        cleaned, content_type = services.clean(
            pdf_with_images(
                image(original), image(zlib.compress(photo()), b"[/FlateDecode /DCTDecode]")
            )
        )
        assert content_type == services.PDF
        for sentinel in SENTINELS:
            assert sentinel not in cleaned, sentinel
        assert b"/Metadata" not in cleaned and b"/PieceInfo" not in cleaned
        resources = PdfReader(BytesIO(cleaned)).pages[0]["/Resources"]
        assert set(resources["/XObject"]) == {"/Im0", "/Im1", "/Fm0", "/Flat"}
        assert resources["/Font"]["/F1"]["/BaseFont"] == "/Helvetica"

    def test_it_takes_out_the_metadata_of_a_jpeg_no_reader_draws(self):
        """A stream that is no image, its filter named by reference: its bytes are still in
        the file."""
        cleaned, _ = services.clean(
            raw_pdf(
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Extra [4 0 R] >>",
                stream(b"/Filter [5 0 R]", photo()),
                b"/DCTDecode",
            )
        )
        for sentinel in SENTINELS:
            assert sentinel not in cleaned, sentinel

    def test_it_keeps_each_jpegs_pixels_as_they_were(self):
        original = photo()
        cleaned, _ = services.clean(
            pdf_with_images(
                image(original), image(zlib.compress(original), b"[/FlateDecode /DCTDecode]")
            )
        )
        expected = Image.open(BytesIO(original))
        found = jpegs_of(cleaned)
        assert len(found) == 2
        for data in found:
            decoded = Image.open(BytesIO(data))
            assert decoded.size == expected.size == (16, 12)
            assert decoded.tobytes() == expected.tobytes()
            assert not decoded.getexif()
            assert not {"xmp", "comment", "icc_profile", "exif"} & set(decoded.info)

    @pytest.mark.skipif(not PDFIMAGES, reason="poppler's pdfimages")
    def test_a_pdf_reader_draws_the_same_image(self, tmp_path):
        before, after = tmp_path / "before.pdf", tmp_path / "after.pdf"
        before.write_bytes(pdf_with_images(image(photo())))
        after.write_bytes(services.clean(before.read_bytes())[0])
        for pdf in (before, after):
            subprocess.run([PDFIMAGES, "-png", pdf, tmp_path / pdf.stem], check=True)  # noqa: S603
        drawn = {
            stem: [Image.open(png).tobytes() for png in sorted(tmp_path.glob(f"{stem}-*.png"))]
            for stem in ("before", "after")
        }
        assert len(drawn["after"]) == 1
        assert drawn["after"] == drawn["before"]

    def test_it_keeps_a_progressive_jpeg_and_a_cmyk_ones_colour_transform(self):
        progressive = photo(progressive=True)
        out = BytesIO()
        pixels().convert("CMYK").save(out, format="JPEG", comment="SentinelComment")
        cmyk = out.getvalue()
        for data in (progressive, cmyk):
            kept = jpeg.without_metadata(data)
            assert b"SentinelComment" not in kept and GPS_SENTINEL.encode() not in kept
            assert Image.open(BytesIO(kept)).tobytes() == Image.open(BytesIO(data)).tobytes()
        assert b"Adobe" in jpeg.without_metadata(cmyk)

    def test_it_keeps_what_there_is_of_a_jpeg_cut_short_in_its_pixels(self, as_user, alice, case):
        cut = photo()[: -len(b"SentinelTrailer") - 10]  # in the compressed data
        assert (
            _upload(as_user(alice), case, pdf_with_images(image(cut)), name="a.pdf").status_code
            == 302
        )
        stored = services.storage.load(Document.objects.get().pk)
        assert GPS_SENTINEL.encode() not in stored and b"Exif" not in stored

    @pytest.mark.parametrize(
        "data",
        [
            photo()[:40],  # cut short in its EXIF
            b"\xff\xd8\xff\xe1\xff\xff" + b"x" * 50,  # a segment longer than the stream
            b"\xff\xd8" + b"\xff" * 100_000,  # nothing but fill bytes
            b"\xff\xd8\xff\xe1\x00\x01SentinelExif",  # a length shorter than itself
            b"not a JPEG at all",
            b"",
        ],
    )
    def test_it_refuses_a_hostile_jpeg_next_to_the_field(self, as_user, alice, case, data):
        self._refused(as_user, alice, case, image(data))

    def test_it_refuses_a_jpeg_filtered_again_after_its_decoding(self, as_user, alice, case):
        self._refused(as_user, alice, case, image(photo(), b"[/DCTDecode /FlateDecode]"))

    def _refused(self, as_user, alice, case, image_object):
        response = _upload(as_user(alice), case, pdf_with_images(image_object), name="a.pdf")
        assert response.status_code == 200
        assert "This PDF cannot be read." in response.content.decode()
        assert not Document.objects.exists()
