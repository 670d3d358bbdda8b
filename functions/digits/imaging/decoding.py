"""Decode accepted image bytes into an upright first frame, refusing oversized images early.

Decoding is two steps: ``open_image`` strips the bytes of metadata (digits.imaging.metadata: what
is decoded is what is stored) and reads their header alone (format, size, orientation, and for a
large JPEG the reduced scale it will be decoded at), so that the size of what decoding will make is
known before any pixel is decoded; ``load`` then decodes. ``decode_image`` does both.

Nothing here touches Python's warning filters, which are process-wide and not thread-safe; the
calls that warn are avoided instead. Each format is opened by its own Pillow plugin class
(``Image.open`` would also try a JPEG as MPO and check for bombs, warning on the way), the pixel
limit is checked here from the same header, and Pillow never parses a sender's EXIF (it would warn
on a malformed one): only the orientation that stripping keeps is left to read.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from PIL import (
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from digits.errors import InvalidImage, PayloadTooLarge
from digits.imaging.formats import (
    ACCEPTED,
    AVIF,
    BMP,
    GIF,
    HEIF,
    JPEG,
    PNG,
    WEBP,
    ImageType,
    image_type,
)
from digits.imaging.metadata import orientation_of, strip_metadata

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
)


def _heif(fp: IO[bytes]) -> Image.Image:
    """Open a HEIF file with pi-heif, pillow-heif's decoder alone, imported on the first one."""
    from pi_heif import options
    from pi_heif.as_plugin import HeifImageFile

    # The primary image alone is read: not its thumbnails, depth maps or auxiliary images.
    options.THUMBNAILS = options.DEPTH_IMAGES = options.AUX_IMAGES = False
    return HeifImageFile(fp)


def _avif(fp: IO[bytes]) -> Image.Image:
    """Open an AVIF file with Pillow's own plugin, imported on the first one (libavif loads)."""
    from PIL import AvifImagePlugin

    return AvifImagePlugin.AvifImageFile(fp)


# What reads each accepted format: Pillow's class for it, or a function that imports one.
OPENERS: dict[ImageType, Callable[[IO[bytes]], Image.Image]] = {
    PNG: PngImagePlugin.PngImageFile,
    JPEG: JpegImagePlugin.JpegImageFile,
    WEBP: WebPImagePlugin.WebPImageFile,
    HEIF: _heif,
    AVIF: _avif,
    GIF: GifImagePlugin.GifImageFile,
    BMP: BmpImagePlugin.BmpImageFile,
}
assert set(OPENERS) == set(ACCEPTED), "every accepted format needs its opener"


@dataclass(frozen=True)
class Decoded:
    """An image as decoded: its upright first frame, its format, and how it maps to what was sent.

    ``scale`` is the sent image's pixels per decoded pixel, across and down, both upright: 1 but
    for a large JPEG decoded at a reduced scale. ``orientation`` is the EXIF orientation the
    pixels were turned by (1: none). ``data`` is what was decoded: the bytes sent, stripped of
    metadata, as they are stored.
    """

    image: Image.Image
    kind: ImageType
    scale: tuple[float, float] = (1.0, 1.0)
    orientation: int = 1
    data: bytes = b""


@dataclass(frozen=True)
class Opened:
    """An image whose header alone is read: what decoding it will make, before it is decoded.

    ``image`` is Pillow's image, not loaded, at the size it will be decoded to; ``declared`` the
    size the header declares (larger for a JPEG decoded at a reduced scale); ``data`` the bytes
    sent, stripped of metadata.
    """

    image: Image.Image
    kind: ImageType
    declared: tuple[int, int]
    orientation: int
    data: bytes

    @property
    def mode(self) -> str:
        """Return the mode the pixels will be decoded in (Pillow's: L, RGB, RGBA, P, I;16, ...)."""
        return self.image.mode

    @property
    def decoded_pixels(self) -> int:
        """Return how many pixels decoding will make."""
        return self.image.width * self.image.height


def decode_image(data: bytes, *, max_pixels: int) -> Decoded:
    """Decode the bytes of an accepted format (formats.ACCEPTED) into an upright first frame.

    An image that declares more than ``max_pixels`` is refused with PayloadTooLarge from its
    header, before any pixel is decoded. JPEGs over twice WORK_SIDE are decoded at a reduced scale
    that keeps at least WORK_SIDE pixels per side.
    """
    return load(open_image(data, max_pixels=max_pixels))


def open_image(data: bytes, *, max_pixels: int) -> Opened:
    """Strip ``data`` and read its header; refuse what is not an image or over ``max_pixels``."""
    kind = image_type(data)
    data = strip_metadata(data, kind)
    # Never above Pillow's own bomb limit, whatever the settings say.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    try:
        image = OPENERS[kind](io.BytesIO(data))
        # The size comes from the header alone (a GIF's includes its first frame's extent).
        declared = image.size
        check_pixels(*declared, limit)
        if kind is JPEG and max(image.size) > 2 * WORK_SIDE:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: the analysis reduces the photo to
            # WORK_SIDE anyway, and this saves most of the time and memory for camera images.
            scale = WORK_SIDE / max(image.size)
            image.draft(image.mode, (round(image.width * scale), round(image.height * scale)))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # A GIF's plugin checks its first frame's extent itself (and may only warn: Python
        # prints that once; under an "error" filter it arrives here as an exception).
        raise PayloadTooLarge(f"the image has more than {limit} pixels") from error
    except DECODE_ERRORS as error:
        raise InvalidImage(f"the {kind.format} image is corrupt or truncated") from error
    exif = image.info.get("exif")
    return Opened(
        image, kind, declared, orientation_of(exif if isinstance(exif, bytes) else None), data
    )


def load(opened: Opened) -> Decoded:
    """Decode the pixels of an opened image, upright."""
    image, kind = opened.image, opened.kind
    try:
        image.load()
    except DECODE_ERRORS as error:
        raise InvalidImage(f"the {kind.format} image is corrupt or truncated") from error
    orientation = opened.orientation
    upright = image.transpose(TRANSPOSE[orientation]) if orientation != 1 else image
    across, down = opened.declared[0] / image.width, opened.declared[1] / image.height
    if orientation in TURNED:
        across, down = down, across
    return Decoded(upright, kind, (across, down), orientation, opened.data)


# What turns the pixels of each EXIF orientation upright (as Pillow's ImageOps.exif_transpose).
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# EXIF orientations that turn the image a quarter: width and height trade places.
TURNED = frozenset({5, 6, 7, 8})


def check_pixels(width: int, height: int, limit: int) -> None:
    """Refuse an image of no pixels (InvalidImage) or of more than ``limit`` (PayloadTooLarge)."""
    if width <= 0 or height <= 0:
        raise InvalidImage("the image has no pixels")
    if width * height > limit:
        raise PayloadTooLarge(
            f"the image is {width}x{height} pixels; at most {limit} pixels are accepted"
        )
