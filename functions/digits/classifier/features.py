"""Features the classifier sees, computed from 28x28 MNIST-style images with NumPy alone.

Training and serving call the same ``extract``, so they cannot drift apart.
"""

from __future__ import annotations

import numpy as np

SIZE = 28
_ROW, _COL = np.mgrid[:SIZE, :SIZE].astype(np.float32)


def deskew(images: np.ndarray) -> np.ndarray:
    """Shear each image so its principal axis is vertical (images: uint8 (n, 28, 28))."""
    ink = images.astype(np.float32)
    total = ink.sum(axis=(1, 2))
    total[total == 0] = 1.0
    row_mean = (ink * _ROW).sum(axis=(1, 2)) / total
    col_mean = (ink * _COL).sum(axis=(1, 2)) / total
    row_centred = _ROW - row_mean[:, None, None]
    col_centred = _COL - col_mean[:, None, None]
    row_var = (ink * row_centred**2).sum(axis=(1, 2)) / total
    covariance = (ink * row_centred * col_centred).sum(axis=(1, 2)) / total
    row_var[row_var == 0] = 1.0
    slant = (covariance / row_var)[:, None, None]
    # Output pixel (r, c) reads the source at (r, c + slant * (r - row_mean)), linearly
    # interpolated along the row; samples past the edge read as background.
    source_col = _COL + slant * row_centred
    left = np.floor(source_col)
    weight = source_col - left
    left = left.astype(np.int32)
    pixels = ink.ravel()
    row_start = (np.arange(len(images), dtype=np.int32) * (SIZE * SIZE))[:, None, None]
    row_start = row_start + _ROW.astype(np.int32) * SIZE
    out = np.zeros_like(ink)
    for col, w in ((left, 1 - weight), (left + 1, weight)):
        inside = (col >= 0) & (col < SIZE)
        sampled = pixels.take(row_start + np.clip(col, 0, SIZE - 1))
        out += np.where(inside, sampled * w, 0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def orientation_histograms(
    images: np.ndarray, cell: int = 4, bins: int = 8, scale: float = 24.0
) -> np.ndarray:
    """Return gradient-orientation histograms per cell (HOG without block normalisation).

    Each pixel's gradient votes its magnitude into the two nearest of ``bins`` signed
    orientations; votes are summed over ``cell`` x ``cell`` squares and quantised to uint8
    (``scale`` maps a sum to 0..255), giving (n, (28 / cell)**2 * bins) features. Strokes'
    directions survive small shifts and thickness changes that move raw pixels.
    """
    ink = images.astype(np.float32) / 255
    grad_row = np.zeros_like(ink)
    grad_col = np.zeros_like(ink)
    grad_row[:, 1:-1] = ink[:, 2:] - ink[:, :-2]
    grad_col[:, :, 1:-1] = ink[:, :, 2:] - ink[:, :, :-2]
    magnitude = np.hypot(grad_row, grad_col).astype(np.float64)
    position = (np.arctan2(grad_row, grad_col) + np.pi) * (bins / (2 * np.pi))
    lower = np.floor(position)
    upper_weight = position - lower
    lower_bin = lower.astype(np.int64) % bins
    # One bincount over (image, cell, bin) slots votes every pixel at once.
    cells = SIZE // cell
    n = len(images)
    cell_of_pixel = (_ROW.astype(np.int64) // cell) * cells + _COL.astype(np.int64) // cell
    slot = (np.arange(n)[:, None, None] * cells * cells + cell_of_pixel) * bins
    size = n * cells * cells * bins
    histograms = np.bincount(
        (slot + lower_bin).ravel(), (magnitude * (1 - upper_weight)).ravel(), minlength=size
    ) + np.bincount(
        (slot + (lower_bin + 1) % bins).ravel(), (magnitude * upper_weight).ravel(), minlength=size
    )
    return np.clip(np.rint(histograms * scale), 0, 255).astype(np.uint8).reshape(n, -1)


# Large batches go through in chunks: the temporaries of a few hundred images stay in cache,
# which makes a 10,000-image batch several times faster than one pass.
CHUNK = 256


def extract(images: np.ndarray, feature_set: str) -> np.ndarray:
    """Return uint8 features (n, n_features) of uint8 images (n, 28, 28) for ``feature_set``."""
    if len(images) > CHUNK:
        return np.vstack(
            [extract(images[i : i + CHUNK], feature_set) for i in range(0, len(images), CHUNK)]
        )
    if feature_set == "pixels":
        return images.reshape(len(images), -1)
    if feature_set == "deskewed":
        return deskew(images).reshape(len(images), -1)
    if feature_set == "deskewed+hog":
        upright = deskew(images)
        return np.hstack([upright.reshape(len(images), -1), orientation_histograms(upright)])
    raise ValueError(f"unknown feature set {feature_set!r}")
