"""Handwriting for the photo bench: MNIST test digits redrawn with a round pen of a chosen width.

model.redrawn.stroke_mask gives a digit's smooth shape; its centre line (model.redrawn.skeleton)
is drawn again with a round nib whose width is a fraction of the digit's height, so one digit can
be written with a fine ballpoint or a marker, at any size, with edges as sharp as the camera's.
A number's digits are set left to right with one writer's spacing and an uneven baseline. (This
bench sets its own lines rather than borrowing bench.number_lines' one, so that a change there
cannot silently change these sets.)
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from model.redrawn import skeleton, stroke_mask

# A digit's centre line is found at this size; larger writing enlarges its distance map instead,
# which keeps the nib's edge sharp.
CENTRE_LINE_BOX = 160
# Ink colours as they darken white paper (RGB reflectance out of 255).
PENS = {
    "black": (30, 30, 36),
    "blue": (35, 55, 150),
    "dark_blue": (22, 30, 85),
    "dark_grey": (85, 85, 92),
    "red": (170, 35, 45),
}
PLAIN_PEN = "black"
# A pen's line width as a fraction of the digit's height: MNIST's own strokes are about a tenth.
PLAIN_WIDTH = 0.08
# From a fine ballpoint on large writing to a marker on small writing.
WIDTH_RANGE = (0.025, 0.16)
# No line is thinner than this many pixels: the finest a phone camera still resolves.
THINNEST_PX = 1.5
# A writer's usual gap between digits, in digit heights: from cramped to airy. Each gap varies
# around it by GAP_VARIES, and each digit's baseline drops by up to BASELINE of its height.
GAP_RANGE = (0.05, 0.6)
GAP_VARIES = 0.3
BASELINE = 1 / 12


def pen_glyph(digit: np.ndarray, height: int, width: float) -> np.ndarray:
    """Redraw an MNIST digit about ``height`` px tall with a nib ``width`` of that height wide.

    Return its ink in [0, 1], cropped to the ink.
    """
    line = skeleton(stroke_mask(digit, CENTRE_LINE_BOX) > 0.5)
    rows, cols = np.nonzero(line)
    radius = max(THINNEST_PX, width * height) / 2
    span = rows.max() - rows.min() + 1
    scale = max(1.0, height - 2 * radius) / span
    pad = int(np.ceil(radius / scale)) + 2
    line = np.pad(line[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1], pad)
    distance = ndimage.distance_transform_edt(~line).astype(np.float32)
    size = (max(1, round(line.shape[1] * scale)), max(1, round(line.shape[0] * scale)))
    distance = np.asarray(Image.fromarray(distance).resize(size, Image.Resampling.BILINEAR))
    # One pixel of antialiased edge around a nib of ``radius`` pixels.
    ink = np.clip(radius + 0.5 - distance * scale, 0, 1)
    return crop_to_ink(ink)


def crop_to_ink(mask: np.ndarray) -> np.ndarray:
    """Return ``mask`` cropped to its nonzero rows and columns."""
    rows = np.flatnonzero(mask.max(axis=1) > 0)
    cols = np.flatnonzero(mask.max(axis=0) > 0)
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def written_line(glyphs: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Set a number's glyphs left to right; return the line and the usual gap, in digit heights."""
    if len(glyphs) == 1:
        return glyphs[0], 0.0
    height = max(g.shape[0] for g in glyphs)
    usual = float(rng.uniform(*GAP_RANGE))
    lefts, right = [], 0
    for glyph in glyphs:
        lefts.append(right)
        gap = usual * height * rng.uniform(1 - GAP_VARIES, 1 + GAP_VARIES)
        right += glyph.shape[1] + round(gap)
    drops = rng.integers(0, int(BASELINE * height) + 1, len(glyphs))
    line = np.zeros((height + int(BASELINE * height) + 1, lefts[-1] + glyphs[-1].shape[1]))
    for glyph, left, drop in zip(glyphs, lefts, drops, strict=True):
        # Digits stand on one baseline, each dropped a little below it.
        top = height - glyph.shape[0] + int(drop)
        part = line[top : top + glyph.shape[0], left : left + glyph.shape[1]]
        np.maximum(part, glyph, out=part)
    return crop_to_ink(line.astype(np.float32)), usual


def write_on(
    sheet: Image.Image,
    ink: np.ndarray,
    top_left: tuple[int, int],
    colour: tuple[int, int, int],
    opacity: float = 1.0,
) -> None:
    """Darken ``sheet`` in place with ``ink`` of ``colour`` whose top-left pixel is ``top_left``."""
    left, top = top_left
    box = (left, top, left + ink.shape[1], top + ink.shape[0])
    region = np.asarray(sheet.crop(box), dtype=np.float32)
    # Ink absorbs light: it multiplies what the paper reflects, rules and tint included.
    absorbed = (1 - np.asarray(colour, dtype=np.float32) / 255) * opacity
    region = region * (1 - ink[..., None] * absorbed)
    sheet.paste(Image.fromarray(np.clip(np.rint(region), 0, 255).astype(np.uint8)), box)
