"""A JPEG's metadata segments taken out of its bytes, its pixels untouched (lib.jpeg)."""

from io import BytesIO

import pytest
from PIL import Image

from engage.lib import jpeg


def plain() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, format="JPEG")
    return out.getvalue()


def with_segment(data: bytes, code: int, body: bytes) -> bytes:
    """`data` with a segment of `code` right after its start."""
    return data[:2] + bytes((0xFF, code)) + (len(body) + 2).to_bytes(2, "big") + body + data[2:]


def test_it_drops_a_jfif_thumbnail_and_keeps_the_jfif_header():
    thumbnail = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x02\x01" + b"Sentinel"[:6]  # 2x1 pixels
    kept = jpeg.without_metadata(with_segment(plain()[:2] + plain()[20:], 0xE0, thumbnail))
    assert b"Sentinel"[:6] not in kept
    assert Image.open(BytesIO(kept)).info["jfif_version"] == (1, 1)


@pytest.mark.parametrize("code", [0xE0, 0xE1, 0xE2, 0xE3, 0xED, 0xEE, 0xEF, 0xFE])
def test_it_drops_every_other_application_segment_and_comments(code):
    data = with_segment(plain(), code, b"SentinelSegment")
    kept = jpeg.without_metadata(data)
    assert b"SentinelSegment" not in kept
    assert Image.open(BytesIO(kept)).tobytes() == Image.open(BytesIO(data)).tobytes()


def test_it_is_idempotent_and_never_longer():
    once = jpeg.without_metadata(with_segment(plain(), 0xE1, b"Exif\x00\x00SentinelExif"))
    assert jpeg.without_metadata(once) == once
    assert len(once) <= len(plain())


def test_it_refuses_a_segment_that_claims_more_than_there_is():
    with pytest.raises(jpeg.MalformedJPEG):
        jpeg.without_metadata(b"\xff\xd8\xff\xe1\x40\x00Exif")
