"""MNIST training digits redrawn with a thin or a thick pen on a large canvas, through to_mnist.

Serving sees canvas drawings whose strokes are far thinner or thicker than MNIST's; to_mnist
brings them back towards MNIST's width, but a thick marker also closes loops (8, 9, 6, 2) and a
thin pen breaks faint joins. Training copies made this way show the forest those shapes. The model
owner decides whether to train on them; bench/realistic.py draws its test inputs the same way from
MNIST *test* digits, so pass training digits only.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from model.augment import served_pages

PENS = ("normal", "thin", "thick")


def stroke_mask(digit: np.ndarray, box: int, pen: str = "normal") -> np.ndarray:
    """Redraw an MNIST digit as a smooth pen mask in [0, 1] whose longer side is ``box`` pixels."""
    rows, cols = np.nonzero(digit)
    crop = digit[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].astype(np.float32)
    scale = box / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    smooth = np.asarray(Image.fromarray(crop / 255).resize(size, Image.Resampling.BICUBIC))
    margin = max(4, box // 5)
    smooth = np.pad(smooth, margin)
    if pen == "normal":
        return np.clip((smooth - 0.3) / 0.3, 0, 1)
    solid = smooth > 0.4
    if pen == "thick":
        radius = max(1.0, 0.06 * box)
        grown = ndimage.distance_transform_edt(~solid) <= radius
        return ndimage.gaussian_filter(grown.astype(np.float32), 0.7)
    # A thin pen: the stroke's one-pixel skeleton, given a width of about 3 pixels.
    line = ndimage.distance_transform_edt(~skeleton(solid)) <= 1.0
    return ndimage.gaussian_filter(line.astype(np.float32), 0.6)


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Thin a binary shape to a connected one-pixel skeleton (Zhang and Suen, 1984)."""
    image = np.pad(mask.astype(bool), 1)
    changed = True
    while changed:
        changed = False
        for second in (False, True):
            core = image[1:-1, 1:-1]
            # Neighbours clockwise from north: P2 .. P9.
            p = [
                image[:-2, 1:-1],
                image[:-2, 2:],
                image[1:-1, 2:],
                image[2:, 2:],
                image[2:, 1:-1],
                image[2:, :-2],
                image[1:-1, :-2],
                image[:-2, :-2],
            ]
            count = sum(n.astype(np.uint8) for n in p)
            transitions = sum((~p[i] & p[(i + 1) % 8]).astype(np.uint8) for i in range(8))
            north, east, south, west = p[0], p[2], p[4], p[6]
            if second:
                keep_a, keep_b = north & east & west, north & south & west
            else:
                keep_a, keep_b = north & east & south, east & south & west
            remove = core & (count >= 2) & (count <= 6) & (transitions == 1) & ~keep_a & ~keep_b
            if remove.any():
                core &= ~remove
                changed = True
    return image[1:-1, 1:-1]


def redrawn_digits(
    images: np.ndarray, labels: np.ndarray, pen: str, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Redraw uint8 (n, 28, 28) digits with ``pen`` at 140-320 px; return them through to_mnist.

    Digits that to_mnist refuses (a thick pen can turn one into a blob) are left out, labels too.
    """
    if pen not in PENS:
        raise ValueError(f"unknown pen {pen!r}; expected one of {PENS}")
    rng = np.random.default_rng(seed)
    masks = (stroke_mask(digit, int(rng.integers(140, 320)), pen) for digit in images)
    pages = (Image.fromarray(np.rint(255 * (1 - mask)).astype(np.uint8)) for mask in masks)
    # A marker so thick that the digit became a blob is not a training example.
    out, kept = served_pages(pages, len(images))
    return out[kept], np.asarray(labels)[kept]
