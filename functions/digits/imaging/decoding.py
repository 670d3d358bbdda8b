"""Decode accepted image bytes into an upright first frame, refusing oversized images early."""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from digits.errors import InvalidImage, PayloadTooLarge
from digits.imaging.formats import JPEG, ImageType, image_type

# Images are analysed on at most this many pixels per side (see normalise.WORK_SIDE): large JPEGs
# are decoded at a reduced scale that still keeps this many.
WORK_SIDE = 1024
# Pillow's errors for malformed files of the accepted formats (its plugins raise these, wrapped
# or not, on bad headers, truncated data and corrupt chunks).
DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    TypeError,
    KeyError,
    ZeroDivisionError,
    Image.DecompressionBombError,
)


@dataclass(frozen=True)
class Decoded:
    """An image as decoded: its upright first frame, its format, and how it maps to what was sent.

    ``scale`` is the sent image's pixels per decoded pixel, across and down, both upright: 1 but
    for a large JPEG decoded at a reduced scale. ``orientation`` is the EXIF orientation the
    pixels were turned by (1: none).
    """

    image: Image.Image
    kind: ImageType
    scale: tuple[float, float] = (1.0, 1.0)
    orientation: int = 1


def decode_image(data: bytes, *, max_pixels: int) -> Decoded:
    """Decode PNG, JPEG, WebP, GIF or BMP bytes into an upright first frame.

    Pillow's ``Image.open`` reads only the header, so an image that declares more than
    ``max_pixels`` is refused with PayloadTooLarge before any pixel is decoded. JPEGs over twice
    WORK_SIDE are decoded at a reduced scale that keeps at least WORK_SIDE pixels per side.
    """
    kind = image_type(data)
    # Pillow warns above MAX_IMAGE_PIXELS and refuses twice that; staying under its threshold
    # keeps its DecompressionBombWarning from ever being raised for an image accepted here.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    # Pillow reports malformed EXIF (common in camera JPEGs) as UserWarning while it opens the
    # file; the pixels are fine, so those are silenced here rather than logged per request.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image, stored = _open(data, kind, limit)
        try:
            orientation = _orientation(image)
            upright = ImageOps.exif_transpose(image) if orientation != 1 else image
        except DECODE_ERRORS:
            # Unreadable EXIF does not make the pixels unusable; keep them as stored.
            orientation, upright = 1, image
    across, down = stored[0] / image.width, stored[1] / image.height
    if orientation in TURNED:
        across, down = down, across
    return Decoded(upright, kind, (across, down), orientation)


# EXIF orientations that turn the image a quarter: width and height trade places.
TURNED = frozenset({5, 6, 7, 8})
ORIENTATION_TAG = 0x0112


def _orientation(image: Image.Image) -> int:
    """Return the orientation (1 to 8) of a decoded image, EXIF's or else XMP's; 1 if none."""
    value = image.getexif().get(ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _open(data: bytes, kind: ImageType, limit: int) -> tuple[Image.Image, tuple[int, int]]:
    """Return the decoded first frame and the size its header declared."""
    try:
        image = Image.open(io.BytesIO(data), formats=[kind.format])
        # The size comes from the header alone (a GIF's includes its first frame's extent).
        stored = image.size
        check_pixels(*stored, limit)
        if kind is JPEG and max(image.size) > 2 * WORK_SIDE:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: the analysis reduces the photo to
            # WORK_SIDE anyway, and this saves most of the time and memory for camera images.
            scale = WORK_SIDE / max(image.size)
            image.draft(image.mode, (round(image.width * scale), round(image.height * scale)))
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PayloadTooLarge(f"the image has more than {limit} pixels") from error
    except DECODE_ERRORS as error:
        raise InvalidImage(f"the {kind.format} image is corrupt or truncated") from error
    return image, stored


def check_pixels(width: int, height: int, limit: int) -> None:
    """Refuse an image of no pixels (InvalidImage) or of more than ``limit`` (PayloadTooLarge)."""
    if width <= 0 or height <= 0:
        raise InvalidImage("the image has no pixels")
    if width * height > limit:
        raise PayloadTooLarge(
            f"the image is {width}x{height} pixels; at most {limit} pixels are accepted"
        )
