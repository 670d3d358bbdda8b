"""MNIST-style normalisation (digits.vision.normalise) of digits decoded from every kind of image:
polarity, transparency, centring, aspect, orientation, scale, specks and blank pages."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageChops

from digits.errors import NothingDrawn
from digits.imaging import decoding
from digits.vision import normalise
from digits.vision.ink import luminance
from tests.images import encode
from tests.unit.drawn import (
    MAX_PIXELS,
    animated_gif,
    animated_webp,
    close_to,
    close_to_within_a_pixel,
    dark_on_light,
    drawing,
    reference,
    rgba_canvas,
)


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
    image = decoding.decode_image(encode(rgba_canvas(colour), "PNG"), max_pixels=MAX_PIXELS).image
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
    for data in (animated_gif(), animated_webp()):
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


@pytest.mark.parametrize(("paper", "ink"), [(250, 20), (15, 230)])
def test_bold_digit_cropped_tightly_is_not_taken_for_background(paper, ink):
    bold = drawing((200, 240), width=64)
    rows, cols = np.nonzero(bold > 0.5)
    bold = bold[rows.min() - 3 : rows.max() + 4, cols.min() - 3 : cols.max() + 4]
    assert (bold > 0.5).mean() > 0.5
    tight = normalise.to_mnist(Image.fromarray(dark_on_light(bold, paper, ink)))
    roomy = normalise.to_mnist(Image.fromarray(dark_on_light(np.pad(bold, 150), paper, ink)))
    assert close_to(tight, roomy)


@pytest.mark.parametrize("side", [60, 200])  # enlarged smoothly, or cut to solid strokes
def test_a_stroke_that_fades_stays_joined_to_the_digit_but_faint_ink_alone_does_not(side):
    # A ring whose right quarter is drawn at a third of full ink (a light touch of the pen), and a
    # faint bar apart from it, on the ink scale crop_to_mnist takes.
    yy, xx = np.mgrid[:side, :side] / side - 0.5
    radius = np.hypot(yy, xx * 1.4)
    ring = (np.abs(radius - 0.3) < 0.06).astype(np.float32)
    ring[(xx > 0.15) & (ring > 0)] = 0.33
    crop = np.zeros((side, side + side // 2), dtype=np.float32)
    crop[:, :side] = ring
    crop[side // 3 : 2 * side // 3, side + side // 4 : side + side // 4 + side // 15] = 0.33
    image = normalise.crop_to_mnist(crop)
    strong_only = normalise.crop_to_mnist(np.where(crop >= normalise.STROKE_INK, crop, 0))
    columns = np.flatnonzero(image.max(axis=0) > 64)
    # The faint quarter closes the ring, so the digit is wider than its strong part alone ...
    assert columns.size > np.flatnonzero(strong_only.max(axis=0) > 64).size
    # ... and the faint bar, joined to nothing, is left out: the ring alone is centred in 28x28.
    assert abs((columns[0] + columns[-1]) / 2 - 13.5) <= 2
    row = image[14]
    assert (row[columns[-1] - 3 : columns[-1] + 1] > 64).any()


@pytest.mark.parametrize("factor", [2, 3])
def test_opaque_rgba_reduces_to_the_grey_the_premultiplied_form_has(factor):
    # The page exports its pad as an RGBA PNG that is opaque throughout: it is reduced as grey
    # alone, and its ink is what the premultiplied grey and alpha would give, to the last bit.
    rgb = dark_on_light(drawing((300, 400)))[..., None].repeat(3, axis=2)
    rgb[..., 2] = rgb[..., 2] // 2  # a colour, so that grey is a weighted sum of the three
    opaque = Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]), "RGBA")
    reduced = normalise.reduce_by(opaque, factor)
    alpha = opaque.getchannel("A")
    premultiplied = Image.merge(
        "La", (ImageChops.multiply(opaque.convert("L"), alpha).reduce(factor), alpha.reduce(factor))
    )
    assert reduced.mode == "L"
    assert np.array_equal(luminance(reduced), luminance(premultiplied))
    # One transparent pixel, and the alpha is kept.
    opaque.putpixel((0, 0), (0, 0, 0, 0))
    assert normalise.reduce_by(opaque, factor).mode == "La"
