"""Segmentation: the digits of a number found and read left to right, one digit kept whole."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits.errors import NotADigit, NothingDrawn, TooManyDigits
from digits.vision import normalise, segment
from digits.vision.components import label_components
from tests.unit.pages import draw_page

Stroke = list[tuple[float, float]]

# Digits drawn with a pen, in a unit box (x right, y down), each stroke a separate line.
FOUR_IN_TWO_STROKES = [[(0.55, 0.0), (0.05, 0.62), (0.95, 0.62)], [(0.7, 0.3), (0.7, 1.0)]]
FIVE_IN_TWO_STROKES = [
    [(0.25, 0.0), (0.2, 0.45), (0.6, 0.4), (0.85, 0.6), (0.8, 0.85), (0.5, 1.0), (0.15, 0.9)],
    [(0.3, 0.0), (0.9, 0.0)],
]
SEVEN_IN_THREE_STROKES = [
    [(0.05, 0.0), (0.95, 0.0)],
    [(0.9, 0.08), (0.4, 1.0)],
    [(0.4, 0.5), (0.9, 0.5)],
]
ONE = [[(0.5, 0.0), (0.5, 1.0)]]
SEVEN = [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)]]
# A sheet lying on a desk in a photo of 960x720, its corners clockwise from the top left.
DESK_CORNERS = np.array([[190.0, 95.0], [760.0, 120.0], [740.0, 640.0], [170.0, 610.0]])


def pen(strokes: list[Stroke], left: float, top: float, width: float, height: float, draw) -> None:
    for stroke in strokes:
        points = [(left + x * width, top + y * height) for x, y in stroke]
        draw.line(points, fill=0, width=10, joint="curve")


def page(size: tuple[int, int] = (400, 300)) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", size, 255)
    return image, ImageDraw.Draw(image)


def read(image: Image.Image, model) -> str:
    found = segment.find_digits(image, model.predict_proba)
    return "".join(str(int(np.argmax(f.probabilities))) for f in found)


def mnist_digit(mnist_test, label: int, which: int = 0) -> np.ndarray:
    images, labels = mnist_test
    return images[np.flatnonzero(labels == label)[which]]


def side_by_side(digits: list[np.ndarray], gap: int = 8) -> Image.Image:
    """MNIST digits on one white-on-black strip, ``gap`` pixels between their 28x28 frames."""
    strip = np.zeros((28, len(digits) * (28 + gap)), dtype=np.uint8)
    for i, digit in enumerate(digits):
        strip[:, i * (28 + gap) : i * (28 + gap) + 28] = digit
    return Image.fromarray(strip)


@pytest.mark.parametrize(
    "strokes",
    [FOUR_IN_TWO_STROKES, FIVE_IN_TWO_STROKES, SEVEN_IN_THREE_STROKES],
    ids=["4", "5", "7"],
)
def test_a_digit_drawn_in_several_strokes_stays_one_digit(strokes, model):
    image, draw = page((300, 300))
    pen(strokes, 90, 50, 120, 200, draw)
    found = segment.find_digits(image, model.predict_proba)
    assert len(found) == 1
    # One digit is preprocessed exactly as a single digit always was.
    assert np.array_equal(found[0].image28, normalise.to_mnist(image))


def test_a_one_beside_a_seven_is_two_digits_left_to_right(model):
    image, draw = page()
    pen(ONE, 110, 60, 40, 180, draw)
    pen(SEVEN, 200, 60, 110, 180, draw)
    found = segment.find_digits(image, model.predict_proba)
    assert len(found) == 2
    assert found[0].box.x < found[1].box.x
    assert read(image, model) == "17"


def test_two_zeros_that_touch_are_split(model, mnist_test):
    # Two written zeros whose 28x28 frames overlap by 12 columns: their ink is one component.
    first, second = mnist_digit(mnist_test, 0, 0), mnist_digit(mnist_test, 0, 1)
    strip = np.zeros((28, 44), dtype=np.uint8)
    strip[:, :28] = first
    strip[:, 16:] = np.maximum(strip[:, 16:], second)
    assert label_components(strip > 0).max() == 0  # labels count from 0: one component
    large = Image.fromarray(255 - np.asarray(Image.fromarray(strip).resize((440, 280))))
    assert read(large, model) == "00"


@pytest.mark.parametrize(
    "shape",
    [
        ("ellipse", (80, 60, 360, 240)),
        ("line", [(60, 80), (340, 80), (200, 230)]),
        ("line", [(80, 120), (150, 70), (270, 70), (320, 120), (300, 160), (80, 230), (340, 230)]),
    ],
    ids=["0", "7", "2"],
)
def test_a_wide_single_digit_stays_one_digit(shape, model):
    image, draw = page((420, 300))
    kind, where = shape
    if kind == "ellipse":
        draw.ellipse(where, outline=0, width=12)
    else:
        draw.line(where, fill=0, width=12, joint="curve")
    found = segment.find_digits(image, model.predict_proba)
    assert len(found) == 1
    assert np.array_equal(found[0].image28, normalise.to_mnist(image))


def test_specks_dots_and_an_underline_are_ignored(model, mnist_test):
    digits = [mnist_digit(mnist_test, 4), mnist_digit(mnist_test, 2)]
    clean = Image.fromarray(255 - np.asarray(side_by_side(digits, gap=10).resize((640, 280))))
    noisy = clean.copy()
    draw = ImageDraw.Draw(noisy)
    for x, y in [(20, 20), (600, 30), (330, 150), (610, 250)]:
        draw.ellipse((x, y, x + 5, y + 5), fill=0)
    draw.line([(40, 262), (600, 262)], fill=0, width=8)
    assert read(clean, model) == "42"
    assert read(noisy, model) == "42"


@pytest.mark.parametrize(
    "image",
    [Image.new("L", (200, 100), 255), Image.new("RGBA", (200, 100), (0, 0, 0, 0))],
    ids=["white", "transparent"],
)
def test_a_blank_image_is_nothing_drawn(image, model):
    with pytest.raises(NothingDrawn):
        segment.find_digits(image, model.predict_proba)


def test_mnist_digits_side_by_side_read_left_to_right(model, mnist_test):
    strip = side_by_side([mnist_digit(mnist_test, d, which=2) for d in (9, 4, 5)])
    assert read(strip, model) == "945"
    # The same strip as a page: dark ink on white, ten times larger.
    large = Image.fromarray(255 - np.asarray(strip.resize((strip.width * 10, 280))))
    assert read(large, model) == "945"


def test_boxes_are_in_the_image_pixels(model, mnist_test):
    strip = side_by_side([mnist_digit(mnist_test, d) for d in (2, 7)], gap=12)
    large = strip.resize((strip.width * 10, 280))
    first, second = segment.find_digits(large, model.predict_proba)
    for found, frame in ((first, 0), (second, 400)):
        x, y, width, height = found.box.x, found.box.y, found.box.width, found.box.height
        # Each digit lies in its own 280-pixel frame, about MNIST's central 200x200 pixels there.
        assert x >= frame + 10
        assert x + width <= frame + 280
        assert y >= 10
        assert y + height <= 270
        assert height > 150


def test_a_single_digit_is_exactly_what_to_mnist_gives(model, mnist_test):
    digit = Image.fromarray(mnist_digit(mnist_test, 3))
    (found,) = segment.find_digits(digit, model.predict_proba)
    assert np.array_equal(found.image28, normalise.to_mnist(digit))
    assert np.array_equal(found.probabilities, model.predict_proba(found.image28[None])[0])


def test_more_than_twelve_digits_are_too_many(model, mnist_test):
    # Each digit's third example: MNIST test's first 5 is half a 6, which the model may refuse.
    strip = side_by_side([mnist_digit(mnist_test, d % 10, which=2) for d in range(13)])
    with pytest.raises(TooManyDigits, match="at most 12"):
        segment.find_digits(strip, model.predict_proba)
    twelve = side_by_side([mnist_digit(mnist_test, d % 10, which=2) for d in range(12)])
    assert len(segment.find_digits(twelve, model.predict_proba)) == 12


def test_a_digit_wholly_beyond_a_hard_shadows_edge_is_read(model):
    # The shadow's edge passes for a sheet's and only a tick lies inside it, refused; the 7 in
    # the shadow beyond that one edge is read.
    edge = 0.55 * (960 + 0.1 * 720)
    seven = ((edge + 80, 250), (edge + 220, 245), (edge + 150, 470))
    tick = ((200, 300), (215, 320), (245, 280))
    photo = draw_page(strokes=(seven, tick), shadow=0.5, softness=1.0, slant=0.1)
    found = segment.find_digits(photo.image, model.predict_proba)
    assert [int(np.argmax(digit.probabilities)) for digit in found] == [7]
    assert found[0].box.x > edge


@pytest.mark.parametrize("light", [{"shadow": 0.4}, {"shadow": 0.6, "softness": 1.0}])
def test_a_tick_on_a_sheet_on_a_desk_stays_refused(model, light):
    # Beyond a sheet that shows its corners is the desk: nothing there is looked for.
    tick = ((400, 300), (415, 320), (445, 280))
    photo = draw_page(corners=DESK_CORNERS, rule_spacing=24, margin=260, strokes=(tick,), **light)
    with pytest.raises(NotADigit):
        segment.find_digits(photo.image, model.predict_proba)


def test_a_stroke_far_smaller_than_writing_in_a_photo_is_not_a_digit(model):
    # A short dark dash on a photographed page (a line's end, a speck of grain) is read as a 1 at
    # any size; below SMALLEST_IN_PHOTO of the frame's height it is the paper's, not writing.
    size = width, height = 960, 720
    short = segment.SMALLEST_IN_PHOTO * height * 0.8
    dash = draw_page(size, strokes=(((width / 2, 360), (width / 2, 360 + short)),))
    with pytest.raises(NotADigit):
        segment.find_digits(dash.image, model.predict_proba)
    # The same stroke at the smallest height the photo path reads (5% of the frame) is a 1.
    one = draw_page(size, strokes=(((width / 2, 340), (width / 2 + 1, 340 + 0.05 * height)),))
    found = segment.find_digits(one.image, model.predict_proba)
    assert [int(np.argmax(digit.probabilities)) for digit in found] == [1]
