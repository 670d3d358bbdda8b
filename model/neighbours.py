"""Digits that touch: two or three digits as one crop, or a digit with part of a neighbour.

These are what a segmenter hands over when it has not cut a number, or cut it in the wrong place.
The digits are MNIST's, redrawn with one pen at one height as one writer's are, or, in a share of
the pairs, printed in one font: printed digits that touch look like no handwriting, and a model
that saw none took them for letters. They are placed side by side with a gap between their boxes
of GAP_RANGE of their height (negative gaps overlap them), or, in a share of them, where their
strokes meet.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from model.fragments import drawn
from model.pen import INK_FLOOR, crop_to_ink
from model.printed import glyph_ink
from model.redrawn import PENS

GAP_RANGE = (-0.15, 0.02)
HEIGHT = (40, 110)
# Each digit's height varies by this factor around the shared one; its baseline by this share.
HEIGHT_SPREAD = 0.1
BASELINE_SPREAD = 0.08
# A neighbour's piece holds at least this share of the digit's ink: a speck beside a digit is
# still that digit.
MIN_NEIGHBOUR_INK = 0.25
NEIGHBOUR_CUT = (0.25, 0.6)
# Half the touching digits are placed by their boxes (GAP_RANGE), half where their strokes first
# meet, then pushed together by up to CONTACT_OVERLAP of their height: boxes of slanted digits
# overlap well before their strokes touch, and digits written close touch by their strokes.
CONTACT_SHARE = 0.5
CONTACT_OVERLAP = 0.06
MAX_WIDTH = 3
# The share of touching digits printed in a font, when fonts are given.
PRINTED_SHARE = 0.2


def draw_at_height(digit: np.ndarray, height: float, pen: str) -> np.ndarray:
    """Redraw a uint8 (28, 28) digit with ``pen`` so that its ink is about ``height`` tall."""
    rows, cols = np.nonzero(digit)
    tall, wide = np.ptp(rows) + 1, np.ptp(cols) + 1
    # A digit far wider than tall (a dash) is drawn no wider than MAX_WIDTH heights.
    box = round(height * min(max(tall, wide) / tall, MAX_WIDTH))
    return drawn(digit, max(8, box), pen)


def side_by_side(crops: list[np.ndarray], gaps: list[float], shifts: list[int]) -> np.ndarray:
    """Place ink crops left to right, ``gaps`` pixels apart (negative overlaps), merged as ink."""
    lefts = [0]
    for crop, gap in zip(crops[:-1], gaps, strict=True):
        lefts.append(max(0, lefts[-1] + crop.shape[1] + round(gap)))
    tops = [s - min(shifts) for s in shifts]
    height = max(t + c.shape[0] for t, c in zip(tops, crops, strict=True))
    width = max(x + c.shape[1] for x, c in zip(lefts, crops, strict=True))
    canvas = np.zeros((height, width), dtype=np.float32)
    for crop, top, left in zip(crops, tops, lefts, strict=True):
        area = canvas[top : top + crop.shape[0], left : left + crop.shape[1]]
        np.maximum(area, crop, out=area)
    return crop_to_ink(canvas)


def _row(
    crops: list[np.ndarray], height: float, rng: np.random.Generator, contact: bool = False
) -> np.ndarray:
    gaps = [rng.uniform(*GAP_RANGE) * height for _ in crops[:-1]]
    # Bottoms roughly aligned, as on a line of writing.
    shifts = [
        round(-c.shape[0] + rng.uniform(-BASELINE_SPREAD, BASELINE_SPREAD) * height) for c in crops
    ]
    if contact:
        # The box gaps above are drawn either way: the random stream, and with it every training
        # image drawn after this one, stays what the committed model was trained on.
        gaps = [
            -stroke_contact(left, right, right_top - left_top)
            - rng.uniform(0, CONTACT_OVERLAP) * height
            for (left, left_top), (right, right_top) in itertools.pairwise(
                zip(crops, shifts, strict=True)
            )
        ]
    return side_by_side(crops, gaps, shifts)


def stroke_contact(left: np.ndarray, right: np.ndarray, drop: int, level: float = INK_FLOOR) -> int:
    """Return how many columns ``right`` must overlap ``left``'s box for their strokes to meet.

    ``right`` stands ``drop`` rows lower than ``left``; ink is what is above ``level``. In each
    row both hold, the strokes meet when the overlap covers the blank beside ``left``'s last ink
    and before ``right``'s first; with no row in common, the boxes just abut.
    """
    top, bottom = max(0, drop), min(left.shape[0], drop + right.shape[0])
    if bottom <= top:
        return 0
    a = left[top:bottom] > level
    b = right[top - drop : bottom - drop] > level
    both = a.any(axis=1) & b.any(axis=1)
    if not both.any():
        return 0
    blank_after = np.argmax(a[:, ::-1], axis=1)  # columns right of the row's last ink
    blank_before = np.argmax(b, axis=1)  # columns left of the row's first ink
    return int((blank_after + blank_before)[both].min()) + 1


def touching_digits(
    n: int, rng: np.random.Generator, digits: np.ndarray, fonts: tuple[Path, ...] = ()
) -> list[np.ndarray]:
    """Return ``n`` crops of two (three in a quarter of them) touching or overlapping digits:
    MNIST ``digits`` redrawn, or, PRINTED_SHARE of them if ``fonts`` are given, printed."""
    out = []
    for _ in range(n):
        count = 3 if rng.random() < 0.25 else 2
        height = rng.uniform(*HEIGHT)
        sizes = [height * rng.uniform(1 - HEIGHT_SPREAD, 1 + HEIGHT_SPREAD) for _ in range(count)]
        if fonts and rng.random() < PRINTED_SHARE:
            font = fonts[int(rng.integers(len(fonts)))]
            crops = [glyph_ink(int(rng.integers(10)), font, round(size)) for size in sizes]
        else:
            pen = PENS[int(rng.integers(len(PENS)))]
            crops = [
                draw_at_height(digits[int(rng.integers(len(digits)))], size, pen) for size in sizes
            ]
        out.append(_row(crops, height, rng, contact=rng.random() < CONTACT_SHARE))
    return out


def with_neighbour_piece(n: int, rng: np.random.Generator, digits: np.ndarray) -> list[np.ndarray]:
    """Return ``n`` digits joined to a piece of the digit beside them, as a cut too far would."""
    out: list[np.ndarray] = []
    while len(out) < n:
        pen = PENS[int(rng.integers(len(PENS)))]
        height = rng.uniform(*HEIGHT)
        first, second = (
            draw_at_height(digits[int(rng.integers(len(digits)))], height, pen) for _ in range(2)
        )
        on_right = rng.random() < 0.5
        # The neighbour on the right shows its left side, and the other way round. Its rows are
        # kept whole, so that it stands on the same line as the digit.
        keep = max(1, round(rng.uniform(*NEIGHBOUR_CUT) * second.shape[1]))
        piece = second[:, :keep] if on_right else second[:, -keep:]
        columns = np.flatnonzero(piece.max(axis=0) > INK_FLOOR)
        if float(piece.sum()) < MIN_NEIGHBOUR_INK * float(first.sum()) or not columns.size:
            continue
        piece = piece[:, columns[0] : columns[-1] + 1]
        out.append(_row([first, piece] if on_right else [piece, first], height, rng))
    return out
