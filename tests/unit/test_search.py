"""The number search: it reads what the recognizer accepts, and nothing it refuses.

The recognizer here is tests/unit/stand_in.py's, which knows a few drawings by heart, so these
tests prove the search, not a trained model: a wide 8 stays one digit because its halves are no
digits; two zeros that touch are cut because the pair is several digits; a letter between digits
is left out.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits.classes import DIGITS, NOT_A_DIGIT, SEVERAL_DIGITS
from digits.errors import NotADigit
from digits.vision import normalise, segment
from digits.vision.components import label_components
from digits.vision.geometry import NARROW
from digits.vision.layout import layout
from tests.unit.stand_in import (
    PEN,
    aspect,
    broken_eight,
    distance,
    eight,
    letter_k,
    one,
    page,
    recognizer,
    seven,
    zero,
)


def read(image: Image.Image, classify: segment.Classify) -> str:
    found = segment.find_digits(image, classify)
    return "".join(str(int(np.argmax(f.probabilities[:10]))) for f in found)


def test_a_wide_eight_is_one_digit_as_its_halves_are_not_digits():
    classify = recognizer({8: eight, 0: zero})
    assert read(page((eight, 170)), classify) == "8"


def test_a_wide_digit_alone_is_read_once():
    classify = recognizer({8: eight, 0: zero})
    read_images = []

    def counting(images: np.ndarray) -> np.ndarray:
        read_images.extend(images)
        return classify(images)

    image = page((broken_eight, 170))
    ink = np.asarray(image) < 128
    assert aspect(ink) > NARROW  # wide and in two pieces: it goes through the layout and search
    (found,) = segment.find_digits(image, counting)
    # Its one group is all the ink: it takes the whole image's reading instead of a second one.
    assert len(read_images) == 1
    assert np.array_equal(read_images[0], found.image28)


def test_a_wide_digit_of_one_piece_read_whole_as_a_digit_needs_no_search(monkeypatch):
    def no_layout(*args):
        raise AssertionError("laid out a line the search could only read whole")

    monkeypatch.setattr(segment, "layout", no_layout)
    image = page((eight, 170))
    assert aspect(np.asarray(image) < 128) > NARROW
    (found,) = segment.find_digits(image, recognizer({8: eight, 0: zero}))
    assert int(np.argmax(found.probabilities)) == 8
    assert np.array_equal(found.image28, normalise.to_mnist(image))


def test_two_zeros_that_touch_are_two_digits_as_the_pair_is_not_one():
    classify = recognizer({0: zero})
    touching = page((zero, 120), (zero, 230))
    assert read(touching, classify) == "00"


def test_a_letter_between_digits_is_left_out():
    classify = recognizer({1: one, 7: seven})
    assert read(page((one, 60), (letter_k, 200), (seven, 360)), classify) == "17"


def taking_for_no_digit(
    classify: segment.Classify, shape: Image.Image, none: float = 0.6, several: float = 0.35
) -> segment.Classify:
    """Return the stand-in, but taking ``shape`` (as the function preprocesses it) for no digit
    at ``none`` and for several digits at ``several``: by default, as the model takes a 1 run
    into its neighbour for a letter, more likely than for several digits."""
    taken = normalise.to_mnist(shape).astype(np.float32)

    def as_no_digit(images: np.ndarray) -> np.ndarray:
        out = classify(images)
        for row, image in zip(out, images.astype(np.float32), strict=True):
            if distance(image, taken) < 0.3:
                row[:] = 0.005
                row[NOT_A_DIGIT], row[SEVERAL_DIGITS] = none, several
        return out / out.sum(axis=1, keepdims=True)

    return as_no_digit


def test_a_pair_taken_for_a_letter_is_cut_among_digits_and_refused_alone():
    pair = ((one, 200), (seven, 215))
    classify = taking_for_no_digit(recognizer({1: one, 7: seven, 0: zero}), page(*pair))
    line = (zero, 20), *pair, (zero, 380)
    assert read(page(*line), classify) == "0170"
    # Alone, the pair is refused: no digit is beside it to say that the line is a number.
    with pytest.raises(NotADigit):
        read(page(*pair), classify)
    # A K beside a digit is still left out: of its sides, only the stem reads as a digit.
    assert read(page((letter_k, 200), (zero, 380)), classify) == "0"


def small_zero(draw: ImageDraw.ImageDraw, left: int) -> None:
    """A percent sign's upper loop: half as tall as its stroke."""
    draw.ellipse((left, 60, left + 70, 150), outline=0, width=PEN)


def slash(draw: ImageDraw.ImageDraw, left: int) -> None:
    """A percent sign's stroke: a slanted line, as a 1 may be written."""
    draw.line([(left + 60, 240), (left + 140, 60)], fill=0, width=PEN)


def percent(draw: ImageDraw.ImageDraw, left: int) -> None:
    """A % whose loops and stroke stand apart: three groups, each alone a digit (0, 1, 0)."""
    small_zero(draw, left)
    slash(draw, left)
    draw.ellipse((left + 130, 150, left + 200, 240), outline=0, width=PEN)


def test_pieces_that_are_digits_apart_but_no_digit_together_are_refused_alone():
    classify = recognizer({0: small_zero, 1: slash})
    image = page((percent, 160))
    # Each piece alone is a digit it knows: the stand-in reads the loops as 0s, the stroke as a 1.
    pieces = [page((small_zero, 160)), page((slash, 160))]
    assert [read(piece, classify) for piece in pieces] == ["0", "1"]
    ink = np.asarray(image) < 128
    assert len(layout(ink.astype(np.float32), label_components(ink)).groups) == 3
    # Together they are no digit: the three, merged, are left out as one.
    with pytest.raises(NotADigit):
        read(image, classify)


def test_neighbours_are_not_left_out_together_beside_a_digit():
    pair = ((one, 180), (zero, 215))
    # A 1 and a 0 written close, which the layout offers to merge as one broken digit: the
    # stand-in takes the two together for no digit, as sure as it is of each digit alone.
    sure = 0.95
    classify = taking_for_no_digit(recognizer({1: one, 0: zero, 7: seven}), page(*pair), sure, 0)
    # Left out together, they would score above the two digits; beside a 7 they are read.
    assert read(page((seven, 20), *pair), classify) == "710"


def five_apart(draw: ImageDraw.ImageDraw, left: int) -> None:
    """A 5 written in two strokes: its body, and a long bar begun a little right of the body,
    so that the two together are wider than they are tall."""
    draw.line([(left + 20, 60), (left + 20, 135)], fill=0, width=PEN)
    draw.arc((left - 10, 110, left + 130, 250), start=230, end=140, fill=0, width=PEN)
    draw.line([(left + 137, 60), (left + 230, 60)], fill=0, width=PEN)


def test_a_digit_written_in_two_strokes_wider_than_tall_is_one_digit():
    templates = recognizer({5: five_apart, 0: zero})

    def classify(images: np.ndarray) -> np.ndarray:
        """The stand-in, less sure that a piece it knows no digit in holds none (as a model is
        of a 5's body alone) than it is of the digits it knows."""
        out = templates(images)
        out[out.argmax(axis=1) == NOT_A_DIGIT, NOT_A_DIGIT] = 0.8
        return out / out.sum(axis=1, keepdims=True)

    ink = np.asarray(page((five_apart, 220))) < 128
    assert aspect(ink) > 1  # wider than tall: the two strokes are read together all the same
    assert read(page((zero, 20), (five_apart, 220)), classify) == "05"


def test_digits_apart_are_read_left_to_right():
    classify = recognizer({1: one, 7: seven, 0: zero})
    assert read(page((seven, 40), (zero, 200), (one, 400)), classify) == "701"


@pytest.mark.parametrize(
    "drawings", [((letter_k, 200),), ((letter_k, 100), (letter_k, 300))], ids=["one", "two"]
)
def test_nothing_the_recognizer_accepts_is_refused(drawings):
    classify = recognizer({1: one, 7: seven})
    with pytest.raises(NotADigit, match="does not look like a digit"):
        segment.find_digits(page(*drawings), classify)


def wave(draw: ImageDraw.ImageDraw, left: int) -> None:
    """A short flat mark: every piece of it is flatter than a digit."""
    draw.line([(left, 150), (left + 40, 140), (left + 80, 152)], fill=0, width=6, joint="curve")


@pytest.mark.parametrize("drawings", [((wave, 200),), ((wave, 60), (wave, 300))])
def test_flat_marks_alone_are_refused_not_a_crash(drawings):
    with pytest.raises(NotADigit):
        segment.find_digits(page(*drawings), recognizer({1: one}))


def test_a_single_digit_is_read_whole_exactly_as_to_mnist_reads_it():
    image = page((seven, 200))
    found = segment.find_digits(image, recognizer({7: seven}))
    assert len(found) == 1
    assert np.array_equal(found[0].image28, normalise.to_mnist(image))


def test_a_ten_class_model_still_reads_numbers():
    ten = recognizer({1: one, 7: seven})

    def without_refusal(images: np.ndarray) -> np.ndarray:
        return ten(images)[:, :DIGITS]

    assert read(page((one, 60), (seven, 300)), without_refusal) == "17"
