"""The largest or smallest value within a square around each pixel: growing masks, closing maps."""

from __future__ import annotations

import numpy as np


def square_max(values: np.ndarray, reach: int, outside: float = 0) -> np.ndarray:
    """Return the largest of ``values`` within ``reach`` pixels every way of each pixel, a pixel
    beyond the array counting as ``outside``: a boolean mask grown by ``reach``, or a map's
    nearest strong values."""
    return _square(values, reach, np.maximum, outside)


def square_min(values: np.ndarray, reach: int, outside: float = 0) -> np.ndarray:
    """Return the smallest of ``values`` within ``reach`` pixels every way of each pixel, a pixel
    beyond the array counting as ``outside``."""
    return _square(values, reach, np.minimum, outside)


def _square(values: np.ndarray, reach: int, pick: np.ufunc, outside: float) -> np.ndarray:
    """Apply ``pick`` over the square down the columns, then along the rows (it is separable):
    whole shifted copies combined, far cheaper than reducing a sliding window's views."""
    height, width = values.shape
    padded = np.full((height + 2 * reach, width + 2 * reach), outside, dtype=values.dtype)
    padded[reach : reach + height, reach : reach + width] = values
    columns = padded[:height].copy()
    for dy in range(1, 2 * reach + 1):
        pick(columns, padded[dy : dy + height], out=columns)
    out = columns[:, :width].copy()
    for dx in range(1, 2 * reach + 1):
        pick(out, columns[:, dx : dx + width], out=out)
    return out
