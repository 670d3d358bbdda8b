"""HEIC and AVIF: told apart by their brands, stripped of EXIF and XMP item by item, read upright.

HEIC files are made with pillow-heif's encoder (a development dependency; the function ships only
its decoder, pi-heif), AVIF files with Pillow's own plugin.
"""

from __future__ import annotations

import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image, ImageDraw

from digits.errors import InvalidImage
from digits.imaging import decoding, formats, isobmff, metadata
from tests.images import encode
from tests.phone_metadata import SECRETS, phone_exif, phone_xmp

MAX_PIXELS = 40_000_000


def _upright() -> Image.Image:
    """A landscape picture with a black mark in its top left corner."""
    image = Image.new("RGB", (240, 160), "white")
    ImageDraw.Draw(image).rectangle((10, 10, 60, 40), fill="black")
    return image


def _stored(upright: Image.Image, orientation: int) -> Image.Image:
    """Return the pixels a camera stores for a photo it tags with ``orientation``."""
    turn = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90}[orientation]
    return upright if turn is None else upright.transpose(turn)


def heic(orientation: int = 1) -> bytes:
    """A HEIC as a phone makes it: turned by its own transform, with EXIF and XMP beside it."""
    buffer = io.BytesIO()
    image = pillow_heif.from_pillow(_stored(_upright(), orientation))
    image.save(buffer, quality=90, exif=phone_exif(orientation).tobytes(), xmp=phone_xmp())
    return buffer.getvalue()


def avif(orientation: int = 1) -> bytes:
    return encode(
        _stored(_upright(), orientation),
        "AVIF",
        quality=90,
        exif=phone_exif(orientation),
        xmp=phone_xmp(),
    )


def _mark(image: Image.Image) -> tuple[int, int]:
    """Return the far corner of the black mark (right and bottom)."""
    rows, columns = np.nonzero(np.asarray(image.convert("L")) < 128)
    return int(columns.max()), int(rows.max())


@pytest.mark.parametrize(("make", "kind"), [(heic, formats.HEIF), (avif, formats.AVIF)])
def test_heic_and_avif_are_told_by_their_brands(make, kind):
    assert formats.image_type(make()) is kind


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", formats.HEIF),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", formats.AVIF),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif", formats.AVIF),
    ],
)
def test_a_generic_heif_brand_is_told_by_the_brands_beside_it(head, expected):
    assert formats.image_type(head + bytes(16)) is expected


def test_other_iso_media_is_not_an_image():
    with pytest.raises(Exception, match="ISO media"):
        formats.image_type(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(16))


@pytest.mark.parametrize("make", [heic, avif])
def test_exif_and_xmp_are_gone_and_the_pixels_stay(make):
    sent = make(orientation=6)
    assert all(secret in sent for secret in SECRETS)
    kind = formats.image_type(sent)
    stored = metadata.strip_metadata(sent, kind)
    assert not any(secret in stored for secret in SECRETS)
    assert len(stored) == len(sent)  # nothing moved: every offset in the file still holds
    before = decoding.OPENERS[kind](io.BytesIO(sent))
    after = decoding.OPENERS[kind](io.BytesIO(stored))
    assert np.array_equal(np.asarray(before), np.asarray(after))


@pytest.mark.parametrize("make", [heic, avif])
@pytest.mark.parametrize("orientation", [1, 3, 6])
def test_a_turned_photo_is_read_upright(make, orientation):
    decoded = decoding.decode_image(make(orientation), max_pixels=MAX_PIXELS)
    assert decoded.image.size == (240, 160)
    right, bottom = _mark(decoded.image)
    assert right < 70
    assert bottom < 50


def test_a_heif_file_without_items_is_refused_as_corrupt():
    with pytest.raises(InvalidImage):
        decoding.decode_image(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", max_pixels=1)


def test_what_trails_the_last_box_is_dropped():
    sent = heic()
    assert isobmff.strip(sent + b"Jane Q. Sender") == isobmff.strip(sent)
