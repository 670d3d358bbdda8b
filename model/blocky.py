"""Blocky digits: MNIST digits taken down to 8x8 counts of ink and enlarged again.

Some writers reach the function at very low resolution: a thumbnail, a fax, a scan at a few dots
per digit, scikit-learn's 8x8 digits (bench/writers.py). MNIST never shows that blockiness. The
8x8 digits were made by cutting a 32x32 bitmap into 4x4 blocks and counting the ink in each
(Alpaydin and Kaynak, UCI "Optical Recognition of Handwritten Digits"); these copies are made the
same way from MNIST's training digits, then enlarged smoothly and cut to ink at a random level, as
a person's low-resolution picture is, and passed through the function's own to_mnist.

The UCI bitmaps were size-normalised by NIST's programs to fill a box of nearly fixed width as well
as height, whatever the digit's own shape: nearly all their zeros are six blocks wide of eight and
their ones four to six, where copies fitted by their longer side are mostly eight blocks wide (a
round digit fills the width) and their ones anywhere from two to eight. So half the copies are
stretched to such a box (``STRETCHED_SHARE``, ``STRETCHED_WIDTH``); the rest keep their aspect.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from model.augment import served_pages

BITMAP = 32  # side of the binary bitmap the counts are taken from
BLOCK = 4  # side of one counted block: BITMAP / BLOCK cells a side
# A bitmap pixel is ink above this level, a quarter of full: the strokes come out about as thick
# as the 8x8 writers' (whose bitmaps hold more ink than MNIST's cut at half).
INK_THRESHOLD = 64
# Enlarged this many times (bicubic) before the ink is cut between a low and a high level.
ENLARGE = (6, 14)
INK_LOW = (0.25, 0.5)
INK_RISE = (0.1, 0.35)
# This share of the copies is stretched to fill the bitmap's height and a width (bitmap pixels)
# drawn from this range, whatever their aspect; the rest are fitted by their longer side.
STRETCHED_SHARE = 0.5
STRETCHED_WIDTH = (18, 26)


def to_counts(digit: np.ndarray, stretched_width: int | None = None) -> np.ndarray:
    """Return the 8x8 share of ink per block of a uint8 (28, 28) digit (white on black), its ink
    centred and scaled to fill the 32x32 bitmap's height (or width, if wider), or, given
    ``stretched_width``, stretched to the bitmap's height and that width."""
    rows = np.flatnonzero(digit.max(axis=1) > 0)
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    ink = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if stretched_width is None:
        scale = BITMAP / max(ink.shape)
        height = max(1, min(BITMAP, round(ink.shape[0] * scale)))
        width = max(1, min(BITMAP, round(ink.shape[1] * scale)))
    else:
        height, width = BITMAP, min(BITMAP, stretched_width)
    resized = np.asarray(Image.fromarray(ink).resize((width, height), Image.Resampling.BILINEAR))
    bitmap = np.zeros((BITMAP, BITMAP), dtype=np.float32)
    top, left = (BITMAP - height) // 2, (BITMAP - width) // 2
    bitmap[top : top + height, left : left + width] = resized > INK_THRESHOLD
    cells = BITMAP // BLOCK
    return bitmap.reshape(cells, BLOCK, cells, BLOCK).mean(axis=(1, 3))


def enlarged(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a page (uint8, dark ink on white) of 8x8 ``counts`` enlarged and cut to ink."""
    small = np.pad(counts.astype(np.float32), 1)
    side = small.shape[0] * int(rng.integers(*ENLARGE, endpoint=True))
    large = np.asarray(Image.fromarray(small).resize((side, side), Image.Resampling.BICUBIC))
    low = rng.uniform(*INK_LOW)
    ink = np.clip((large - low) / rng.uniform(*INK_RISE), 0, 1)
    return np.rint(255 * (1 - ink)).astype(np.uint8)


def _box_width(rng: np.random.Generator) -> int | None:
    """Return a stretched copy's width in bitmap pixels, or None for one that keeps its aspect."""
    if rng.random() < STRETCHED_SHARE:
        return int(rng.integers(*STRETCHED_WIDTH, endpoint=True))
    return None


def blocky_digits(
    images: np.ndarray, labels: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return uint8 (n, 28, 28) digits made blocky from ``images``, through to_mnist, and their
    labels; a digit whose blocks leave no ink to_mnist accepts is left out, label too."""
    rng = np.random.default_rng(seed)
    pages = (Image.fromarray(enlarged(to_counts(digit, _box_width(rng)), rng)) for digit in images)
    out, kept = served_pages(pages, len(images))
    return out[kept], np.asarray(labels)[kept]
