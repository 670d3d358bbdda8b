"""Decoding every accepted format and mode, refusing every bad input, MNIST-style normalisation."""

from __future__ import annotations

import contextlib
import io
import struct
import tracemalloc
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits.errors import (
    InvalidImage,
    NothingDrawn,
    PayloadTooLarge,
    RequestError,
    UnsupportedMediaType,
)
from digits.imaging import decoding, formats
from digits.vision import normalise

MAX_PIXELS = 40_000_000


def drawing(size: tuple[int, int] = (240, 300), width: int = 18) -> np.ndarray:
    """Return a float mask in [0, 1] of an asymmetric, seven-like digit on an empty canvas."""
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line([(w * 0.2, h * 0.2), (w * 0.75, h * 0.2), (w * 0.4, h * 0.85)], fill=255, width=width)
    draw.line([(w * 0.35, h * 0.52), (w * 0.65, h * 0.52)], fill=255, width=width)
    return np.asarray(image, dtype=np.float32) / 255


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def dark_on_light(mask: np.ndarray, paper: int = 250, ink: int = 20) -> np.ndarray:
    return np.rint(paper * (1 - mask) + ink * mask).astype(np.uint8)


def reference() -> np.ndarray:
    return normalise.to_mnist(Image.fromarray(dark_on_light(drawing())))


def close_to(actual: np.ndarray, expected: np.ndarray) -> bool:
    """Two 28x28 images show the same digit: strongly correlated, little mean difference."""
    a, b = actual.astype(np.float64).ravel(), expected.astype(np.float64).ravel()
    return np.corrcoef(a, b)[0, 1] > 0.85 and np.abs(a - b).mean() < 25


def close_to_within_a_pixel(actual: np.ndarray, expected: np.ndarray) -> bool:
    """close_to, once ``actual`` is moved by at most one pixel each way: centring by the rounded
    centre of mass may land a pixel apart when the same digit is analysed at another scale."""
    return any(
        close_to(np.roll(actual, (dy, dx), axis=(0, 1)), expected)
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
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


def _grey() -> Image.Image:
    return Image.fromarray(dark_on_light(drawing()))


def _rgba_canvas(colour=(0, 0, 0)) -> Image.Image:
    alpha = np.rint(drawing() * 255).astype(np.uint8)
    rgba = np.zeros((*alpha.shape, 4), dtype=np.uint8)
    rgba[..., :3] = np.where(alpha[..., None] > 0, colour, 0)
    rgba[..., 3] = alpha
    return Image.fromarray(rgba)


def _palette_transparent() -> Image.Image:
    image = _rgba_canvas((30, 30, 160)).convert("RGB").quantize(4)
    mask = drawing() < 0.5
    pixels = np.asarray(image).copy()
    pixels[mask] = 3
    image = Image.fromarray(pixels, mode="P")
    image.putpalette([30, 30, 160, 60, 60, 180, 90, 90, 200, 0, 0, 0])
    image.info["transparency"] = 3
    return image


def _sixteen_bit() -> Image.Image:
    return Image.fromarray(dark_on_light(drawing()).astype(np.uint16) * 257)


def _animated_gif() -> bytes:
    first = _grey().convert("P")
    second = Image.fromarray(dark_on_light(1 - drawing())).convert("P")
    return encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def _animated_webp() -> bytes:
    first = _grey().convert("RGB")
    second = Image.fromarray(dark_on_light(1 - drawing())).convert("RGB")
    return encode(first, "WEBP", save_all=True, append_images=[second], duration=100)


FORMATS = {
    "png-L": lambda: encode(_grey(), "PNG"),
    "png-LA": lambda: encode(_rgba_canvas().convert("LA"), "PNG"),
    "png-RGB": lambda: encode(_grey().convert("RGB"), "PNG"),
    "png-RGBA-canvas": lambda: encode(_rgba_canvas(), "PNG"),
    "png-P": lambda: encode(_grey().convert("P"), "PNG"),
    "png-P-transparency": lambda: encode(_palette_transparent(), "PNG"),
    "png-1": lambda: encode(_grey().convert("1", dither=Image.Dither.NONE), "PNG"),
    "png-16-bit": lambda: encode(_sixteen_bit(), "PNG"),
    "jpeg-L": lambda: encode(_grey(), "JPEG", quality=90),
    "jpeg-RGB": lambda: encode(_grey().convert("RGB"), "JPEG", quality=90),
    "jpeg-CMYK": lambda: encode(_grey().convert("CMYK"), "JPEG", quality=90),
    "jpeg-progressive": lambda: encode(_grey(), "JPEG", quality=75, progressive=True),
    "webp-lossy": lambda: encode(_grey().convert("RGB"), "WEBP", quality=80),
    "webp-lossless": lambda: encode(_grey().convert("RGB"), "WEBP", lossless=True),
    "webp-RGBA-canvas": lambda: encode(_rgba_canvas(), "WEBP", lossless=True),
    "webp-animated": _animated_webp,
    "gif-P": lambda: encode(_grey().convert("P"), "GIF"),
    "gif-transparency": lambda: encode(_palette_transparent(), "GIF", transparency=3),
    "gif-animated": _animated_gif,
    "bmp-RGB": lambda: encode(_grey().convert("RGB"), "BMP"),
    "bmp-L": lambda: encode(_grey(), "BMP"),
    "bmp-1": lambda: encode(_grey().convert("1", dither=Image.Dither.NONE), "BMP"),
    "bmp-P": lambda: encode(_grey().convert("P"), "BMP"),
}


@pytest.mark.parametrize("name", FORMATS)
def test_every_accepted_format_and_mode_decodes_to_the_same_digit(name):
    image = decoding.decode_image(FORMATS[name](), max_pixels=MAX_PIXELS).image
    assert image.size == (240, 300)
    assert close_to(normalise.to_mnist(image), reference())


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (encode(_grey(), "PNG"), formats.PNG),
        (encode(_grey(), "JPEG"), formats.JPEG),
        (encode(_grey(), "WEBP"), formats.WEBP),
        (encode(_grey(), "GIF"), formats.GIF),
        (encode(_grey(), "BMP"), formats.BMP),
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

_PNG = encode(_grey(), "PNG")
_JPEG = encode(_grey(), "JPEG")
_GIF = encode(_grey().convert("P"), "GIF")
_WEBP = encode(_grey().convert("RGB"), "WEBP")
_BMP = encode(_grey(), "BMP")

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
    "tiff": (encode(_grey(), "TIFF"), UnsupportedMediaType),
    "heic-without-items": (b"\x00\x00\x00\x18ftypheic" + bytes(16), InvalidImage),
    "jpeg-xl": (b"\xff\x0a" + bytes(30), UnsupportedMediaType),
    "ico": (encode(_grey().resize((32, 32)), "ICO"), UnsupportedMediaType),
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
    data = encode(_grey(), "PNG")
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


# --- normalisation ----------------------------------------------------------------------------


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.mgrid[:28, :28]
    total = image.sum()
    return float((image * rows).sum() / total), float((image * cols).sum() / total)


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(image)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize(
    "colour", [(0, 0, 0), (255, 255, 255), (200, 30, 30), (255, 230, 0), (20, 40, 160)]
)
def test_transparent_canvas_strokes_are_ink_whatever_their_colour(colour):
    image = decoding.decode_image(encode(_rgba_canvas(colour), "PNG"), max_pixels=MAX_PIXELS).image
    assert close_to(normalise.to_mnist(image), reference())


def test_output_is_white_ink_on_black_for_both_polarities():
    mask = drawing()
    dark = normalise.to_mnist(Image.fromarray(dark_on_light(mask)))
    light = normalise.to_mnist(Image.fromarray(dark_on_light(mask, paper=15, ink=230)))
    assert dark.dtype == np.uint8
    assert dark.shape == (28, 28)
    assert dark[0].max() == 0
    assert dark[:, 0].max() == 0
    assert dark.max() == 255
    assert close_to(light, dark)


@pytest.mark.parametrize(("top", "left", "side"), [(0, 0, 60), (500, 700, 120), (250, 100, 400)])
def test_digit_anywhere_and_any_size_is_centred_by_mass_in_a_20_pixel_box(top, left, side):
    canvas = np.zeros((900, 1200), dtype=np.float32)
    mask = drawing((side, side), width=max(3, side // 12))
    canvas[top : top + side, left : left + side] = mask
    out = normalise.to_mnist(Image.fromarray(dark_on_light(canvas)))
    row, col = centre_of_mass(out.astype(np.float64))
    assert abs(row - 14) <= 1
    assert abs(col - 14) <= 1
    height, width = ink_box(out)
    assert max(height, width) in (20, 21)
    assert height <= 21
    assert width <= 21


@pytest.mark.parametrize(("height", "width"), [(300, 40), (40, 300)])
def test_aspect_ratio_is_kept(height, width):
    canvas = np.zeros((400, 400), dtype=np.float32)
    canvas[50 : 50 + height, 60 : 60 + width] = 1
    out = normalise.to_mnist(Image.fromarray(dark_on_light(canvas)))
    box = ink_box(out)
    long, short = max(box), min(box)
    assert long in (20, 21)
    assert 2 <= short <= 5
    assert (box[0] > box[1]) == (height > width)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied(orientation):
    upright = Image.fromarray(dark_on_light(drawing()))
    stored_as = {
        3: Image.Transpose.ROTATE_180,
        6: Image.Transpose.ROTATE_90,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(upright.transpose(stored_as), "JPEG", quality=95, exif=exif)
    image = decoding.decode_image(data, max_pixels=MAX_PIXELS).image
    assert image.size == upright.size
    assert close_to(normalise.to_mnist(image), reference())


def test_animated_images_use_the_first_frame():
    for data in (_animated_gif(), _animated_webp()):
        image = decoding.decode_image(data, max_pixels=MAX_PIXELS).image
        assert close_to(normalise.to_mnist(image), reference())


def test_large_photo_is_reduced_before_analysis():
    mask = np.asarray(Image.fromarray(drawing()).resize((1600, 2000)))
    data = encode(Image.fromarray(dark_on_light(mask)).convert("RGB"), "JPEG", quality=80)
    image = decoding.decode_image(data, max_pixels=MAX_PIXELS).image
    assert close_to_within_a_pixel(normalise.to_mnist(image), reference())


def test_mnist_formatted_input_passes_through_unharmed():
    mnist_like = reference()
    again = normalise.to_mnist(
        decoding.decode_image(
            encode(Image.fromarray(mnist_like), "PNG"), max_pixels=MAX_PIXELS
        ).image
    )
    assert np.abs(again.astype(int) - mnist_like).mean() < 3


def test_small_digit_in_a_large_image_keeps_its_full_resolution():
    # At the analysis scale this digit spans 8 pixels; it is analysed again from the full image.
    mask = drawing((60, 60), width=5)
    canvas = np.zeros((900, 1200), dtype=np.float32)
    canvas[400:460, 500:560] = mask
    out = normalise.to_mnist(Image.fromarray(dark_on_light(canvas)))
    alone = normalise.to_mnist(Image.fromarray(dark_on_light(np.pad(mask, 15))))
    assert close_to(out, alone)


def test_thin_small_digit_that_fades_when_reduced_is_still_found():
    # One-pixel strokes 16 pixels tall average away into specks at the analysis scale.
    mask = drawing((16, 16), width=1)
    canvas = np.zeros((1000, 1000), dtype=np.float32)
    canvas[400:416, 500:516] = mask
    out = normalise.to_mnist(Image.fromarray(dark_on_light(canvas, paper=255, ink=0)))
    alone = normalise.to_mnist(Image.fromarray(dark_on_light(np.pad(mask, 4), paper=255, ink=0)))
    assert close_to(out, alone)


def test_specks_away_from_the_digit_are_ignored():
    canvas = np.zeros((400, 400), dtype=np.float32)
    canvas[100:340, 100:340] = drawing((240, 240))
    for row, col in [(10, 10), (380, 20), (30, 370), (390, 390)]:
        canvas[row : row + 3, col : col + 3] = 1
    out = normalise.to_mnist(Image.fromarray(dark_on_light(canvas)))
    clean = normalise.to_mnist(Image.fromarray(dark_on_light(canvas[100:340, 100:340])))
    assert close_to(out, clean)


def _blank_photo() -> bytes:
    rng = np.random.default_rng(3)
    grey = 200 + 30 * np.linspace(0, 1, 480)[None, :] + rng.normal(0, 4, (360, 480))
    return encode(Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)), "JPEG", quality=70)


BLANK = {
    "white": encode(Image.new("L", (280, 280), 255), "PNG"),
    "black": encode(Image.new("L", (28, 28), 0), "PNG"),
    "transparent-canvas": encode(Image.new("RGBA", (280, 280), (0, 0, 0, 0)), "PNG"),
    "grey-gradient-noisy-photo": _blank_photo(),
    "faint-smudge": encode(Image.fromarray(dark_on_light(drawing(), paper=250, ink=247)), "PNG"),
    "one-pixel": encode(Image.fromarray(dark_on_light(np.pad(np.ones((1, 1)), 100))), "PNG"),
}


@pytest.mark.parametrize("name", BLANK)
def test_blank_or_near_blank_image_is_nothing_drawn(name):
    image = decoding.decode_image(BLANK[name], max_pixels=MAX_PIXELS).image
    with pytest.raises(NothingDrawn):
        normalise.to_mnist(image)


def test_preview_png_round_trips():
    image = reference()
    data = normalise.preview_png(image)
    assert data.startswith(b"\x89PNG")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), image)


@pytest.mark.parametrize("size", [(1, 1), (2, 2), (1, 50), (3, 4000), (4000, 3), (70, 3000)])
@pytest.mark.parametrize("pattern", ["blank", "noise", "checker", "bar"])
def test_odd_shapes_give_a_digit_or_nothing_drawn(size, pattern):
    height, width = size
    rng = np.random.default_rng(height * width)
    pixels = {
        "blank": np.full(size, 255),
        "noise": rng.integers(0, 256, size),
        "checker": np.indices(size).sum(axis=0) % 2 * 255,
        "bar": np.where(np.arange(width)[None, :] == width // 2, 0, np.full(size, 255)),
    }[pattern]
    data = encode(Image.fromarray(pixels.astype(np.uint8)), "PNG")
    try:
        out = normalise.to_mnist(decoding.decode_image(data, max_pixels=MAX_PIXELS).image)
    except NothingDrawn:
        return
    assert out.shape == (28, 28)
    assert out.max() == 255


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_large_transparent_canvas_is_reduced_without_darkening_the_strokes(mode):
    big = Image.fromarray(np.rint(drawing() * 255).astype(np.uint8)).resize((2400, 3000))
    alpha = np.asarray(big)
    pixels = np.zeros((*alpha.shape, 4 if mode == "RGBA" else 2), dtype=np.uint8)
    pixels[..., -1] = alpha
    image = Image.fromarray(pixels, mode=mode)
    decoded = decoding.decode_image(encode(image, "PNG"), max_pixels=MAX_PIXELS).image
    assert close_to(normalise.to_mnist(decoded), reference())


def test_corrupt_exif_still_decodes_without_warnings_escaping():
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera"
    data = encode(_grey(), "JPEG", quality=90, exif=exif)
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
    camera = bytearray(encode(_grey(), "JPEG", quality=90, exif=exif))
    at = camera.index(b"Exif")
    camera[at + 20 : at + 40] = bytes(range(20))  # the EXIF directory, scrambled
    inputs = [bytes(camera), png_bomb(), encode(_grey(), "PNG"), _animated_gif()]
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
    decoded = decoding.decode_image(encode(_grey(), "PNG"), max_pixels=MAX_PIXELS)
    assert decoded.scale == (1.0, 1.0)
    assert decoded.orientation == 1
    assert decoded.kind is formats.PNG


@pytest.mark.parametrize(("paper", "ink"), [(250, 20), (15, 230)])
def test_bold_digit_cropped_tightly_is_not_taken_for_background(paper, ink):
    bold = drawing((200, 240), width=64)
    rows, cols = np.nonzero(bold > 0.5)
    bold = bold[rows.min() - 3 : rows.max() + 4, cols.min() - 3 : cols.max() + 4]
    assert (bold > 0.5).mean() > 0.5
    tight = normalise.to_mnist(Image.fromarray(dark_on_light(bold, paper, ink)))
    roomy = normalise.to_mnist(Image.fromarray(dark_on_light(np.pad(bold, 150), paper, ink)))
    assert close_to(tight, roomy)
