"""A JPEG's metadata taken out of its bytes, its pixels untouched.

For a JPEG inside an attached PDF (`documents.services`), whose pixels must stay as they are:
Pillow would decode and encode it again, losing quality at each save. No maintained Python
library takes the segments out losslessly (piexif, unmaintained, takes EXIF only; jpegtran and
exiftool are programs outside Python, not installed with Engage). A JPEG is a list of marker
segments, each saying its length, then the compressed scans: walking it takes a few lines, in
one pass bounded by the input's length, and a stream that does not walk is refused, never
guessed at.

What stays is what decoding needs: the tables, the frame and the scans; APP0 "JFIF" (which
says the colours are YCbCr), without its thumbnail; APP14 "Adobe" (its colour transform, for
CMYK and RGB). What goes: every other application segment, APP1 (EXIF with the camera and the
GPS position, XMP), APP2 (ICC profile, FlashPix, the index of further pictures), APP13 (IPTC,
Photoshop), the comments, and anything after the end of the image (a second picture, a
maker's trailer). The ICC profile goes too: in a PDF the image's colours are those of its
dictionary's `/ColorSpace`, not of the profile inside its JPEG, and a profile's own text names
the device that made it.
"""

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
APP0, APP14, APP15, COM = 0xE0, 0xEE, 0xEF, 0xFE
# Markers that stand alone, with no length: TEM and the restarts.
STANDALONE = {0x01, *range(0xD0, 0xD8)}
JFIF_HEADER = 14  # "JFIF\0", version, units, densities, thumbnail's size


class MalformedJPEG(ValueError):
    """The stream's segments cannot be walked: nobody can draw it, nor say what it holds."""


def without_metadata(data: bytes) -> bytes:
    """Return the JPEG `data` without its metadata segments; raise `MalformedJPEG` if its
    segments cannot be walked. One cut short in its compressed data keeps what is there."""
    if not data.startswith(b"\xff\xd8"):
        raise MalformedJPEG
    out = bytearray(b"\xff\xd8")
    position, end = 2, len(data)
    while True:
        if position >= end or data[position] != 0xFF:
            raise MalformedJPEG
        while position < end and data[position] == 0xFF:  # fill bytes before a marker
            position += 1
        if position >= end:
            raise MalformedJPEG
        code = data[position]
        position += 1
        if code == EOI:
            out += b"\xff\xd9"
            return bytes(out)  # what follows is no part of the image
        if code in STANDALONE:
            out += bytes((0xFF, code))
            continue
        if code in (0x00, SOI) or position + 2 > end:
            raise MalformedJPEG
        length = int.from_bytes(data[position : position + 2], "big")
        if length < 2 or position + length > end:
            raise MalformedJPEG
        body = data[position + 2 : position + length]
        position += length
        kept = _kept(code, body)
        if kept is not None:
            out += bytes((0xFF, code)) + (len(kept) + 2).to_bytes(2, "big") + kept
        if code == SOS:
            scan_end = _end_of_scan(data, position)
            out += data[position:scan_end]
            if scan_end >= end:
                return bytes(out)  # cut short: a reader draws what there is
            position = scan_end


def _kept(code: int, body: bytes) -> bytes | None:
    """The segment's body as kept, or None for a segment that goes."""
    if code == APP0:
        if body.startswith(b"JFIF\x00") and len(body) >= JFIF_HEADER:
            return body[: JFIF_HEADER - 2] + b"\x00\x00"  # no thumbnail
        return None
    if code == APP14:
        return body if body.startswith(b"Adobe") else None
    if APP0 <= code <= APP15 or code == COM:
        return None
    return body


def _end_of_scan(data: bytes, position: int) -> int:
    """Where the compressed data that starts at `position` ends: at the next marker that is
    neither a stuffed 0xFF (0xFF00) nor a restart, or at the end of `data`."""
    end = len(data)
    while True:
        found = data.find(b"\xff", position)
        if found < 0 or found + 1 >= end:
            return end
        following = data[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position = found + 2
            continue
        return found
