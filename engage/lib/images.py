"""Images from outside, bounded by their size in pixels before any pixel is decoded.

A PNG of 257 KB declaring 9,400 by 9,400 pixels took 640 MB to decode, and one of 20,000 by
20,000 made Pillow raise its DecompressionBombError, a 500 (issue 10, item 10). Pillow's own
limit (89 million pixels, refused at twice that) is far above any scan or photo a case file
needs, so `install()` lowers it for the whole process, and `open_image` refuses an image over
`MAX_PIXELS` from its header alone, with a message a person can act on.
"""

import warnings
from io import BytesIO

from django.utils.translation import gettext as _
from PIL import Image

# 40 million pixels: a 7,300 by 5,500 photo, more than a phone's 12 MP or a 600 dpi A4 scan
# (35 MP); about 120 MB once decoded in colour.
MAX_PIXELS = 40_000_000


class ImageTooLarge(ValueError):
    """The image has more pixels than Engage decodes; the message says so, for the user."""


def install() -> None:
    """Lower Pillow's decompression-bomb limit for every use of Pillow in this process."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def _too_large(width: int | None = None, height: int | None = None) -> ImageTooLarge:
    if width and height:
        return ImageTooLarge(
            _(
                "This image is %(width)s by %(height)s pixels; Engage accepts at most %(mp)s "
                "million pixels. Scan or photograph it at a lower resolution."
            )
            % {"width": width, "height": height, "mp": MAX_PIXELS // 1_000_000}
        )
    return ImageTooLarge(
        _(
            "This image has more than %(mp)s million pixels. Scan or photograph it at a lower "
            "resolution."
        )
        % {"mp": MAX_PIXELS // 1_000_000}
    )


def open_image(data: bytes) -> Image.Image:
    """Open `data` lazily (the header only); refuse it over MAX_PIXELS. Raise ImageTooLarge,
    or Pillow's UnidentifiedImageError / OSError for what is not an image."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large() from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise _too_large(width, height)
    return image


def load(image: Image.Image) -> None:
    """Decode the pixels, with Pillow's own checks of frames and tiles as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large(*image.size) from None
