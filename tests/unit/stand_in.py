"""A stand-in recognizer and the drawings it knows, for the tests of the number search.

The stand-in knows a few drawings by heart: an image near one of its templates (each a drawing
alone, as the function preprocesses it) is that template's digit; any other image wider than tall
is several digits, and the rest (a half, a letter) no digit. Tests built on it prove the search
and what reads it, not a trained model.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from digits.classes import CLASSES, NOT_A_DIGIT, SEVERAL_DIGITS
from digits.vision import normalise, segment

Drawing = Callable[[ImageDraw.ImageDraw, int], None]
PAGE = (520, 300)
PEN = 12
# An image is a template's digit when the ink they do not share is under NEAR of all their ink;
# an image no template is near is several digits when its ink is WIDE times as wide as it is tall.
NEAR = 0.6
WIDE = 1.2


def eight(draw: ImageDraw.ImageDraw, left: int) -> None:
    """A wide 8: two loops, one on the other, wider than a usual digit."""
    draw.ellipse((left, 50, left + 170, 145), outline=0, width=PEN)
    draw.ellipse((left - 10, 135, left + 180, 250), outline=0, width=PEN)


def broken_eight(draw: ImageDraw.ImageDraw, left: int) -> None:
    """The wide 8 with its loops apart: two pieces of ink, one above the other."""
    draw.ellipse((left, 50, left + 170, 140), outline=0, width=PEN)
    draw.ellipse((left - 10, 152, left + 180, 250), outline=0, width=PEN)


def zero(draw: ImageDraw.ImageDraw, left: int) -> None:
    draw.ellipse((left, 60, left + 120, 240), outline=0, width=PEN)


def one(draw: ImageDraw.ImageDraw, left: int) -> None:
    draw.line([(left + 20, 60), (left + 20, 240)], fill=0, width=PEN)


def seven(draw: ImageDraw.ImageDraw, left: int) -> None:
    draw.line([(left, 60), (left + 110, 60), (left + 40, 240)], fill=0, width=PEN, joint="curve")


def letter_k(draw: ImageDraw.ImageDraw, left: int) -> None:
    draw.line([(left, 60), (left, 240)], fill=0, width=PEN)
    draw.line([(left + 90, 60), (left + 5, 150), (left + 95, 240)], fill=0, width=PEN)


def page(*drawings: tuple[Drawing, int]) -> Image.Image:
    image = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(image)
    for drawing, left in drawings:
        drawing(draw, left)
    return image


def recognizer(templates: dict[int, Drawing]) -> segment.Classify:
    """Return a classifier of every class that knows only ``templates``, each drawn alone."""
    known = {
        digit: normalise.to_mnist(page((drawing, 200))).astype(np.float32)
        for digit, drawing in templates.items()
    }

    def classify(images: np.ndarray) -> np.ndarray:
        out = np.full((len(images), CLASSES), 0.005)
        for row, image in zip(out, images.astype(np.float32), strict=True):
            distances = {d: distance(image, t) for d, t in known.items()}
            digit = min(distances, key=distances.__getitem__)
            if distances[digit] < NEAR:
                row[digit] = 0.95
            else:
                row[SEVERAL_DIGITS if aspect(image) >= WIDE else NOT_A_DIGIT] = 0.95
        return out / out.sum(axis=1, keepdims=True)

    return classify


def distance(image: np.ndarray, template: np.ndarray) -> float:
    """Return the share of two float images' ink that they do not share (0: the same)."""
    return float(np.abs(image - template).sum() / (image.sum() + template.sum()))


def aspect(image: np.ndarray) -> float:
    """Return the width of an image's ink over its height."""
    rows = np.flatnonzero(image.any(axis=1))
    columns = np.flatnonzero(image.any(axis=0))
    return (columns[-1] - columns[0] + 1) / (rows[-1] - rows[0] + 1)
