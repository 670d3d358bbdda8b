"""Numbers as people write them and send them: the bench's inputs of 2-6 digits.

Each number is written by one writer of bench/writers.py (MNIST test digits redrawn, printed
fonts, scikit-learn's 8x8 digits enlarged, or synthetic handwriting), with wide gaps, tight gaps,
or tight gaps and one pair that touches; each is sent as a transparent canvas PNG, a white page or
a photo-like JPEG. Everything is drawn from one split (bench/heldout.py): ``tune`` while choosing,
``report`` for the figures. bench/numbers.py reads them and reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from bench import heldout, realistic, writers
from model import neighbours

GAPS = ("wide", "tight", "touching")
FORMATS = ("canvas_png", "page", "photo_jpeg")
# Gaps between neighbouring digits' ink, in digit heights.
GAP_RANGE = {"wide": (0.3, 0.7), "tight": (0.03, 0.12), "touching": (0.03, 0.12)}
# Ink above this level is a stroke where two touching glyphs meet.
TOUCH_LEVEL = 0.3
# Who writes a number: MNIST's people most, as the function's users write; then the synthetic
# hands, printed fonts, and the 8x8 set's few writers enlarged from 8x8 pixels.
WRITER_SHARES = {"mnist": 0.55, "strokes": 0.2, "printed": 0.15, "digits8x8": 0.1}
# A number's height in pixels, before it is fitted to its image.
HEIGHT = (48, 120)
# Photos: (height, width); the line turns by up to TURN degrees about the centre, so it is fitted
# TURN_MARGIN pixels inside the frame: a corner of the frame moves 320 sin 4 = 22 px at most.
PHOTO_SHAPE = (480, 640)
TURN = 4.0
TURN_MARGIN = 24


@dataclass(frozen=True)
class NumberSample:
    """One test input: the bytes as sent, the number it shows, and how it was made."""

    data: bytes
    number: str
    gap: str
    format: str
    writer: str


def _touch_shift(left: np.ndarray, right: np.ndarray, dy: int) -> int:
    """Return how far ``right`` must move left from abutting ``left`` for their strokes to meet
    (0, abutting, if they meet only past the narrower glyph's width)."""
    shift = neighbours.stroke_contact(left, right, dy, level=TOUCH_LEVEL)
    return shift if shift < min(left.shape[1], right.shape[1]) else 0


def line(glyphs: list[np.ndarray], gap: str, rng: np.random.Generator) -> np.ndarray:
    """Set the glyphs on a line with the gap kind's spacing; return the line's ink in [0, 1]."""
    height = max(g.shape[0] for g in glyphs)
    offsets = [int(rng.integers(0, max(1, height // 12) + 1)) for _ in glyphs]
    touching = int(rng.integers(1, len(glyphs))) if gap == "touching" else -1
    low, high = GAP_RANGE[gap]
    xs = [0]
    for i in range(1, len(glyphs)):
        previous = glyphs[i - 1]
        if i == touching:
            dy = offsets[i] - offsets[i - 1]
            shift = _touch_shift(previous, glyphs[i], dy)
            shift += int(rng.integers(0, max(1, height // 25) + 1))
            xs.append(xs[-1] + previous.shape[1] - shift)
        else:
            xs.append(xs[-1] + previous.shape[1] + round(rng.uniform(low, high) * height))
    width = max(x + g.shape[1] for x, g in zip(xs, glyphs, strict=True))
    ink = np.zeros((height + height // 12 + 1, width), dtype=np.float32)
    for x, y, glyph in zip(xs, offsets, glyphs, strict=True):
        part = ink[y : y + glyph.shape[0], x : x + glyph.shape[1]]
        np.maximum(part, glyph, out=part)
    return ink


def _fit(line: np.ndarray, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Scale the line to fit in width x height with margins and place it at random."""
    scale = min(1.0, 0.9 * width / line.shape[1], 0.8 * height / line.shape[0])
    if scale < 1:
        size = (max(1, round(line.shape[1] * scale)), max(1, round(line.shape[0] * scale)))
        line = np.asarray(Image.fromarray(line).resize(size, Image.Resampling.BILINEAR))
    return realistic._place(line, (height, width), rng)


def turned_in_frame(line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return the line placed at random in the photo's frame and turned by up to TURN degrees.

    It turns about the frame's centre, fitted TURN_MARGIN inside the frame so that none of it
    turns out of the picture: the number a sample names is all there to read.
    """
    height, width = PHOTO_SHAPE
    inset = _fit(line, width - 2 * TURN_MARGIN, height - 2 * TURN_MARGIN, rng)
    return turned(inset, float(rng.uniform(-TURN, TURN)))


def turned(inset: np.ndarray, angle: float) -> np.ndarray:
    """Return ink fitted to the frame's inset, in the photo's frame, turned by ``angle`` degrees."""
    ink = np.pad(inset, TURN_MARGIN)
    return np.asarray(Image.fromarray(ink).rotate(angle, resample=Image.Resampling.BILINEAR))


def _canvas(line: np.ndarray, rng: np.random.Generator) -> bytes:
    if rng.random() < 0.5:
        width = height = int(rng.choice([280, 400]))
    else:
        height = int(rng.integers(200, 320))
        width = max(height, line.shape[1] + int(rng.integers(40, 200)))
    alpha = _fit(line, width, height, rng)
    colour = realistic.INK_COLOURS[rng.integers(len(realistic.INK_COLOURS))]
    return realistic.canvas_export(alpha, colour)


def _page(line: np.ndarray, rng: np.random.Generator) -> bytes:
    height = line.shape[0] + int(rng.integers(60, 300))
    width = line.shape[1] + int(rng.integers(60, 300))
    return realistic.scan_export(_fit(line, width, height, rng), rng)


def _photo(line: np.ndarray, rng: np.random.Generator) -> bytes:
    height, width = PHOTO_SHAPE
    ink = turned_in_frame(line, rng)
    paper = np.array([rng.uniform(200, 245), rng.uniform(190, 240), rng.uniform(160, 225)])
    colour = realistic.INK_COLOURS[rng.integers(len(realistic.INK_COLOURS))] + rng.uniform(0, 30)
    rgb = realistic._compose(ink, paper, colour)
    y = (np.arange(height, dtype=np.float32) / width)[:, None]
    x = (np.arange(width, dtype=np.float32) / width)[None, :]
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 + rng.uniform(0.15, 0.35) * ((x - 0.5) * np.cos(angle) + (y - 0.4) * np.sin(angle))
    rgb = rgb * light.astype(np.float32)[..., None] + realistic._noise(rng, 5, rgb.shape)
    image = realistic._to_image(rgb).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 1.2))))
    return realistic._encode(image, "JPEG", quality=70)


RENDER = {"canvas_png": _canvas, "page": _page, "photo_jpeg": _photo}


def number_samples(n: int, split: str) -> list[NumberSample]:
    """Return ``n`` numbers of 2-6 digits for each gap kind and format, from ``split`` only."""
    rng = np.random.default_rng(heldout.split(split).seed)
    names, shares = list(WRITER_SHARES), list(WRITER_SHARES.values())
    samples = []
    for gap in GAPS:
        for fmt in FORMATS:
            for _ in range(n):
                number = "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(2, 7))))
                writer = names[int(rng.choice(len(names), p=shares))]
                height = int(rng.integers(*HEIGHT))
                glyphs = writers.glyphs(writer, number, height, rng, split)
                data = RENDER[fmt](line(glyphs, gap, rng), rng)
                samples.append(NumberSample(data, number, gap, fmt, writer))
    return samples
