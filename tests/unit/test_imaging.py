"""Decoding every accepted format and mode, and refusing every bad input with a client error."""

from __future__ import annotations

import contextlib
import struct
import tracemalloc
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digits.errors import (
    InvalidImage,
    PayloadTooLarge,
    RequestError,
    UnsupportedMediaType,
)
from digits.imaging import decoding, formats
from digits.vision import normalise
from tests.images import encode
from tests.unit.drawn import (
    MAX_PIXELS,
    animated_gif,
    animated_webp,
    close_to,
    dark_on_light,
    drawing,
    grey,
    palette_transparent,
    reference,
    rgba_canvas,
    sixteen_bit,
)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_size(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG declaring ``width`` x ``height`` (1-bit grey) with the given compressed pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat or zlib.compress(b"\x00" * 16))
        + png_chunk(b"IEND", b"")
    )


def png_bomb(side: int = 20_000) -> bytes:
    """A real decompression bomb: a few tens of KB of zlib that inflate to side x side pixels."""
    row = b"\x00" * (1 + side // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return png_with_size(side, side, body)


def gif_with_size(screen: tuple[int, int], frame: tuple[int, int]) -> bytes:
    """A one-frame GIF whose screen and first-frame sizes are given separately."""
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", *screen, 0x80, 0, 0)
        + b"\x00\x00\x00\xff\xff\xff"
        + b","
        + struct.pack("<HHHHB", 0, 0, *frame, 0)
        + b"\x02\x02\x44\x01\x00;"
    )


def jpeg_with_size(width: int, height: int) -> bytes:
    real = encode(Image.new("L", (8, 8), 255), "JPEG")
    at = real.index(b"\xff\xc0")
    return real[: at + 5] + struct.pack(">HH", height, width) + real[at + 9 :]


def webp_vp8x_size(width: int, height: int) -> bytes:
    body = (
        b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    chunk = b"VP8X" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def bmp_with_size(width: int, height: int) -> bytes:
    real = encode(Image.new("RGB", (4, 4), "white"), "BMP")
    return real[:18] + struct.pack("<ii", width, height) + real[26:]


def corrupt_idat(data: bytes) -> bytes:
    at = data.index(b"IDAT") + 8
    return data[:at] + bytes(b ^ 0x5A for b in data[at : at + 40]) + data[at + 40 :]


# --- every accepted format and mode -------------------------------------------------------------


FORMATS = {
    "png-L": lambda: encode(grey(), "PNG"),
    "png-LA": lambda: encode(rgba_canvas().convert("LA"), "PNG"),
    "png-RGB": lambda: encode(grey().convert("RGB"), "PNG"),
    "png-RGBA-canvas": lambda: encode(rgba_canvas(), "PNG"),
    "png-P": lambda: encode(grey().convert("P"), "PNG"),
    "png-P-transparency": lambda: encode(palette_transparent(), "PNG"),
    "png-1": lambda: encode(grey().convert("1", dither=Image.Dither.NONE), "PNG"),
    "png-16-bit": lambda: encode(sixteen_bit(), "PNG"),
    "jpeg-L": lambda: encode(grey(), "JPEG", quality=90),
    "jpeg-RGB": lambda: encode(grey().convert("RGB"), "JPEG", quality=90),
    "jpeg-CMYK": lambda: encode(grey().convert("CMYK"), "JPEG", quality=90),
    "jpeg-progressive": lambda: encode(grey(), "JPEG", quality=75, progressive=True),
    "webp-lossy": lambda: encode(grey().convert("RGB"), "WEBP", quality=80),
    "webp-lossless": lambda: encode(grey().convert("RGB"), "WEBP", lossless=True),
    "webp-RGBA-canvas": lambda: encode(rgba_canvas(), "WEBP", lossless=True),
    "webp-animated": animated_webp,
    "gif-P": lambda: encode(grey().convert("P"), "GIF"),
    "gif-transparency": lambda: encode(palette_transparent(), "GIF", transparency=3),
    "gif-animated": animated_gif,
    "bmp-RGB": lambda: encode(grey().convert("RGB"), "BMP"),
    "bmp-L": lambda: encode(grey(), "BMP"),
    "bmp-1": lambda: encode(grey().convert("1", dither=Image.Dither.NONE), "BMP"),
    "bmp-P": lambda: encode(grey().convert("P"), "BMP"),
}


@pytest.mark.parametrize("name", FORMATS)
def test_every_accepted_format_and_mode_decodes_to_the_same_digit(name):
    image = decoding.decode_image(FORMATS[name](), max_pixels=MAX_PIXELS).image
    assert image.size == (240, 300)
    assert close_to(normalise.to_mnist(image), reference())


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (encode(grey(), "PNG"), formats.PNG),
        (encode(grey(), "JPEG"), formats.JPEG),
        (encode(grey(), "WEBP"), formats.WEBP),
        (encode(grey(), "GIF"), formats.GIF),
        (encode(grey(), "BMP"), formats.BMP),
    ],
)
def test_image_type_comes_from_the_bytes(data, kind):
    assert formats.image_type(data) == kind
    assert kind.content_type.startswith("image/")
    assert f"image/{kind.extension}".replace("jpg", "jpeg") == kind.content_type


def test_image_type_names_the_storage_extensions():
    assert [t.extension for t in formats.ACCEPTED] == [
        "png",
        "jpg",
        "webp",
        "heic",
        "avif",
        "gif",
        "bmp",
    ]


# --- every bad input --------------------------------------------------------------------------

_PNG = encode(grey(), "PNG")
_JPEG = encode(grey(), "JPEG")
_GIF = encode(grey().convert("P"), "GIF")
_WEBP = encode(grey().convert("RGB"), "WEBP")
_BMP = encode(grey(), "BMP")

BAD_INPUTS = {
    "empty": (b"", InvalidImage),
    "random-bytes": (np.random.default_rng(1).bytes(4096), UnsupportedMediaType),
    "signature-only-part": (b"\x89PN", InvalidImage),
    "png-signature-only": (_PNG[:8], InvalidImage),
    "png-truncated-header": (_PNG[:20], InvalidImage),
    "png-truncated-half": (_PNG[: len(_PNG) // 2], InvalidImage),
    "png-no-iend-no-data": (_PNG[:33], InvalidImage),
    "png-corrupt-idat": (corrupt_idat(_PNG), InvalidImage),
    "png-zero-width": (png_with_size(0, 10), InvalidImage),
    "jpeg-truncated-half": (_JPEG[: len(_JPEG) // 2], InvalidImage),
    "jpeg-soi-only": (_JPEG[:3], InvalidImage),
    "jpeg-soi-garbage": (b"\xff\xd8\xff" + b"\x00" * 64, InvalidImage),
    "gif-truncated-header": (_GIF[:10], InvalidImage),
    "gif-truncated-half": (_GIF[: len(_GIF) // 2], InvalidImage),
    "webp-truncated-header": (_WEBP[:16], InvalidImage),
    "webp-truncated-half": (_WEBP[: len(_WEBP) // 2], InvalidImage),
    "bmp-truncated-header": (_BMP[:20], InvalidImage),
    "bmp-truncated-half": (_BMP[: len(_BMP) // 2], InvalidImage),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><text>7</text></svg>', UnsupportedMediaType),
    "svg-xml-prolog": (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
        UnsupportedMediaType,
    ),
    "text": (b"seven", UnsupportedMediaType),
    "text-starting-like-bmp": (b"BMW 320i, 1998, 7 previous owners\n", UnsupportedMediaType),
    "html": (b"<!DOCTYPE html><html><body>7</body></html>", UnsupportedMediaType),
    "json": (b'{"image": "iVBORw0KGgo="}', UnsupportedMediaType),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", UnsupportedMediaType),
    "tiff": (encode(grey(), "TIFF"), UnsupportedMediaType),
    "heic-without-items": (b"\x00\x00\x00\x18ftypheic" + bytes(16), InvalidImage),
    "jpeg-xl": (b"\xff\x0a" + bytes(30), UnsupportedMediaType),
    "ico": (encode(grey().resize((32, 32)), "ICO"), UnsupportedMediaType),
    "png-bomb-20000": (png_bomb(), PayloadTooLarge),
    "png-header-65535": (png_with_size(65_535, 65_535), PayloadTooLarge),
    "gif-bomb-screen": (gif_with_size((65_535, 65_535), (1, 1)), PayloadTooLarge),
    "gif-bomb-frame": (gif_with_size((1, 1), (65_535, 65_535)), PayloadTooLarge),
    "jpeg-huge-frame": (jpeg_with_size(65_000, 65_000), PayloadTooLarge),
    "webp-huge-canvas": (webp_vp8x_size(16_384, 16_384), PayloadTooLarge),
    "bmp-huge": (bmp_with_size(100_000, -100_000), PayloadTooLarge),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_raises_the_right_client_error(name):
    data, expected = BAD_INPUTS[name]
    with pytest.raises(expected) as caught:
        decoding.decode_image(data, max_pixels=MAX_PIXELS)
    assert caught.value.message
    assert "Traceback" not in caught.value.message


@pytest.mark.parametrize(
    ("name", "said"),
    [("svg", "SVG"), ("pdf", "PDF"), ("tiff", "TIFF"), ("jpeg-xl", "JPEG XL"), ("text", "text")],
)
def test_unsupported_type_message_names_what_was_sent(name, said):
    with pytest.raises(UnsupportedMediaType, match=said):
        formats.image_type(BAD_INPUTS[name][0])


def test_bomb_is_refused_without_decoding_it():
    bomb = png_bomb()
    assert len(bomb) < 100_000
    tracemalloc.start()
    with pytest.raises(PayloadTooLarge):
        decoding.decode_image(bomb, max_pixels=MAX_PIXELS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000


def test_pillow_bomb_limit_never_escapes_even_when_configured_higher():
    # 10000 x 10000 is above Pillow's own warning threshold (about 89 M pixels).
    with pytest.raises(PayloadTooLarge):
        decoding.decode_image(png_with_size(10_000, 10_000), max_pixels=10**12)


def test_pixel_limit_is_configurable():
    data = encode(grey(), "PNG")
    with pytest.raises(PayloadTooLarge):
        decoding.decode_image(data, max_pixels=240 * 300 - 1)
    assert decoding.decode_image(data, max_pixels=240 * 300).image.size == (240, 300)


@pytest.mark.parametrize("name", ["png", "jpeg", "gif", "webp", "bmp"])
def test_corrupted_bytes_only_ever_raise_client_errors(name):
    original = {"png": _PNG, "jpeg": _JPEG, "gif": _GIF, "webp": _WEBP, "bmp": _BMP}[name]
    rng = np.random.default_rng(7)
    statuses = []
    for _ in range(40):
        data = bytearray(original)
        for at in rng.integers(0, len(data), size=int(rng.integers(1, 12))):
            data[at] = int(rng.integers(256))
        data = bytes(data[: int(rng.integers(len(data) // 3, len(data) + 1))])
        try:
            normalise.to_mnist(decoding.decode_image(data, max_pixels=MAX_PIXELS).image)
            statuses.append(200)
        except RequestError as error:
            statuses.append(error.status)
    assert set(statuses) <= {200, 400, 413, 415, 422}
    assert 400 in statuses


def test_corrupt_exif_still_decodes_without_warnings_escaping():
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera"
    data = encode(grey(), "JPEG", quality=90, exif=exif)
    at = data.index(b"Exif")
    rng = np.random.default_rng(1)
    decoded = 0
    for _ in range(30):
        corrupt = bytearray(data)
        # Only inside the EXIF segment (its length is the two bytes before "Exif").
        end = at - 2 + int.from_bytes(data[at - 2 : at], "big")
        for place in rng.integers(at + 6, end, size=3):
            corrupt[place] = int(rng.integers(256))
        image = decoding.decode_image(bytes(corrupt), max_pixels=MAX_PIXELS).image
        decoded += image.size in ((240, 300), (300, 240))
    assert decoded == 30


def test_decoding_on_many_threads_leaves_the_warning_filters_alone():
    # warnings.catch_warnings swaps the process's filters: on request threads one thread's
    # "ignore" would leak to every other. Nothing in the function may change them at all.
    package = Path(decoding.__file__).resolve().parents[1]
    changes = ("catch_warnings", "simplefilter", "filterwarnings", "resetwarnings")
    for path in package.rglob("*.py"):
        assert not [word for word in changes if word in path.read_text()], path
    exif = Image.Exif()
    exif[0x0112] = 6
    camera = bytearray(encode(grey(), "JPEG", quality=90, exif=exif))
    at = camera.index(b"Exif")
    camera[at + 20 : at + 40] = bytes(range(20))  # the EXIF directory, scrambled
    inputs = [bytes(camera), png_bomb(), encode(grey(), "PNG"), animated_gif()]
    before = list(warnings.filters)
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in pool.map(_decoded_or_refused, inputs * 8):
            assert warnings.filters == before


def _decoded_or_refused(data: bytes) -> None:
    with contextlib.suppress(RequestError):
        decoding.decode_image(data, max_pixels=MAX_PIXELS)


def test_camera_sized_jpeg_is_decoded_at_reduced_scale():
    mask = np.asarray(
        Image.fromarray(np.rint(drawing() * 255).astype(np.uint8)).resize((2400, 3000))
    )
    page = Image.fromarray(dark_on_light(mask / 255)).convert("RGB")
    data = encode(page, "JPEG", quality=80)
    image = decoding.decode_image(data, max_pixels=MAX_PIXELS).image
    assert decoding.WORK_SIDE <= max(image.size) < 3000
    assert image.size[0] * 3000 == image.size[1] * 2400
    assert close_to(normalise.to_mnist(image), reference())


@pytest.mark.parametrize(("orientation", "turned"), [(1, False), (3, False), (6, True), (8, True)])
def test_a_reduced_decode_says_its_scale_to_the_sent_image_upright(orientation, turned):
    stored = Image.new("RGB", (4000, 2400), "white")
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(stored, "JPEG", quality=70, exif=exif)
    decoded = decoding.decode_image(data, max_pixels=MAX_PIXELS)
    assert decoded.kind is formats.JPEG
    assert decoded.orientation == orientation
    sent = (2400, 4000) if turned else (4000, 2400)
    width, height = decoded.image.size
    assert (width > height) == (sent[0] > sent[1])
    across, down = decoded.scale
    assert across > 1
    assert down > 1
    assert (round(width * across), round(height * down)) == sent


def test_an_image_decoded_whole_has_scale_one():
    decoded = decoding.decode_image(encode(grey(), "PNG"), max_pixels=MAX_PIXELS)
    assert decoded.scale == (1.0, 1.0)
    assert decoded.orientation == 1
    assert decoded.kind is formats.PNG
