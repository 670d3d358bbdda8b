"""Who writes the bench's digits: four sources of glyphs, each drawing from one split only.

A glyph is an ink crop: a float32 2-D array in [0, 1], ink 1 on background 0, cut to its ink,
``height`` pixels tall. The writers (``WRITERS``):

- ``mnist``: MNIST test digits of the split's rows, redrawn as smooth pen strokes;
- ``printed``: the split's fonts (model.printed: training fonts to tune, test fonts to report);
- ``digits8x8``: scikit-learn's bundled 8x8 digits (other writers, at 8x8), enlarged smoothly;
  the first half of the set tunes, the second half reports;
- ``strokes``: synthetic handwriting (bench/handwriting.py), the split's own writers.

``glyphs`` writes a whole number in one hand: one font, one synthetic writer. MNIST and the 8x8
set keep no writer's name, so each of a number's digits comes from a different person there.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bench import handwriting, heldout
from model import mnist
from model.printed import TEST_FONTS, TRAIN_FONTS, font_dir
from model.redrawn import stroke_mask

WRITERS = ("mnist", "printed", "digits8x8", "strokes")
# A handwritten digit is this share of the height asked for, at random: a writer's sizes vary.
MNIST_SIZE = (0.9, 1.05)
STROKES_SIZE = (0.92, 1.05)
# The 8x8 images are enlarged this many times (bicubic), then their ink is cut between these
# levels: a soft threshold, which keeps the edges antialiased and the strokes pen-like.
ENLARGE_8X8 = 10
INK_LEVELS_8X8 = (0.4, 0.65)
# Antialiasing fringes fainter than this are background when a glyph is cut to its ink.
INK_FLOOR = 0.05


@functools.lru_cache(maxsize=1)
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """Return MNIST's test images and labels (loaded once, from MNIST_DIR)."""
    data = mnist.load()
    return data.test_images, data.test_labels


def split_fonts(split: str) -> tuple[str, ...]:
    """Return the font files of ``split``: model.printed's training or test fonts."""
    return TRAIN_FONTS if heldout.split(split).fonts == "train" else TEST_FONTS


@functools.lru_cache(maxsize=len(heldout.SPLITS))
def digits_8x8(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the split's half of scikit-learn's 8x8 digits: values in [0, 1], and labels."""
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    side = heldout.split(split)
    data = load_digits()
    half = len(data.target) // 2
    rows = slice(0, half) if side == heldout.TUNE else slice(half, None)
    return (data.images[rows] / 16).astype(np.float32), data.target[rows]


def crop_to_ink(mask: np.ndarray) -> np.ndarray:
    """Cut a mask to the bounds of its ink."""
    rows = np.flatnonzero(mask.max(axis=1) > INK_FLOOR)
    cols = np.flatnonzero(mask.max(axis=0) > INK_FLOOR)
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def to_height(glyph: np.ndarray, height: int) -> np.ndarray:
    """Scale an ink crop to ``height`` pixels, keeping its aspect (bilinear)."""
    width = max(1, round(glyph.shape[1] * height / glyph.shape[0]))
    image = Image.fromarray(glyph.astype(np.float32)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    return np.clip(np.asarray(image, dtype=np.float32), 0, 1)


def printed_glyph(digit: int, font: Path, height: int) -> np.ndarray:
    """Render ``digit`` in ``font`` as an ink crop ``height`` pixels tall."""
    face = ImageFont.truetype(str(font), int(height * 1.4))
    image = Image.new("L", (height * 2, height * 3), 0)
    ImageDraw.Draw(image).text((height // 2, height // 2), str(digit), fill=255, font=face)
    return to_height(crop_to_ink(np.asarray(image, dtype=np.float32) / 255), height)


def mnist_glyph(digit: int, height: int, rng: np.random.Generator, split: str) -> np.ndarray:
    """Redraw a random MNIST test digit of the split's rows with a smooth pen."""
    images, labels = mnist_test()
    rows = heldout.split(split).mnist_rows
    index = int(rng.choice(np.flatnonzero(labels[rows] == digit)))
    box = round(height * rng.uniform(*MNIST_SIZE))
    return crop_to_ink(stroke_mask(images[rows][index], box)).astype(np.float32)


def glyph_8x8(digit: int, height: int, rng: np.random.Generator, split: str) -> np.ndarray:
    """Enlarge a random 8x8 digit of the split's half smoothly to ``height`` pixels."""
    images, labels = digits_8x8(split)
    small = np.pad(images[int(rng.choice(np.flatnonzero(labels == digit)))], 1)
    side = small.shape[0] * ENLARGE_8X8
    large = np.asarray(Image.fromarray(small).resize((side, side), Image.Resampling.BICUBIC))
    low, high = INK_LEVELS_8X8
    return to_height(crop_to_ink(np.clip((large - low) / (high - low), 0, 1)), height)


def strokes_glyph(
    digit: int, hand: handwriting.Hand, height: int, rng: np.random.Generator
) -> np.ndarray:
    """Write ``digit`` in ``hand``, a little larger or smaller than ``height`` at random."""
    size = round(height * rng.uniform(*STROKES_SIZE))
    return to_height(crop_to_ink(handwriting.write(digit, hand, size, rng)), size)


def glyphs(
    writer: str, number: str, height: int, rng: np.random.Generator, split: str
) -> list[np.ndarray]:
    """Write every digit of ``number`` about ``height`` pixels tall in one hand of ``writer``."""
    digits = [int(c) for c in number]
    if writer == "mnist":
        return [mnist_glyph(d, height, rng, split) for d in digits]
    if writer == "printed":
        fonts = split_fonts(split)
        font = font_dir() / fonts[int(rng.integers(len(fonts)))]
        return [printed_glyph(d, font, height) for d in digits]
    if writer == "digits8x8":
        return [glyph_8x8(d, height, rng, split) for d in digits]
    if writer == "strokes":
        hands = handwriting.hands(split)
        hand = hands[int(rng.integers(len(hands)))]
        return [strokes_glyph(d, hand, height, rng) for d in digits]
    raise ValueError(f"unknown writer {writer!r}; use one of {WRITERS}")


def glyph(writer: str, digit: int, height: int, rng: np.random.Generator, split: str) -> np.ndarray:
    """Return one ``digit`` by ``writer``, drawn only from ``split``'s sources, as an ink crop."""
    return glyphs(writer, str(digit), height, rng, split)[0]
