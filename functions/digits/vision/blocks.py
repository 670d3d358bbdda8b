"""Pooling over blocks: an array reduced to one value per block of ``step_y`` x ``step_x`` pixels.

NumPy reduces a (rows, step_y, columns, step_x) view over its two small axes with strided inner
loops a few elements long, several times slower than adding whole shifted slices of the array,
one per offset within the block. The slices are added in the order NumPy's reduction adds the
elements, so the results are the same to the last bit (tests/unit/test_blocks.py).
"""

from __future__ import annotations

import numpy as np

# NumPy sums a contiguous run of at least this many values with several accumulators at once, in
# an order that slices added one by one do not follow: wider blocks' rows are summed by NumPy.
UNROLLED = 8


def block_any(mask: np.ndarray, step_y: int, step_x: int) -> np.ndarray:
    """Return whether each block of a boolean ``mask`` (its sides multiples of the steps) has a
    True pixel: ``mask.reshape(rows, step_y, columns, step_x).any(axis=(1, 3))``."""
    rows = mask[0::step_y]
    for offset in range(1, step_y):
        rows = rows | mask[offset::step_y]
    pooled = rows[:, 0::step_x]
    for offset in range(1, step_x):
        pooled = pooled | rows[:, offset::step_x]
    return pooled


def block_mean(values: np.ndarray, step_y: int, step_x: int) -> np.ndarray:
    """Return the mean of each block of float ``values`` (its sides multiples of the steps):
    ``values.reshape(rows, step_y, columns, step_x).mean(axis=(1, 3))``, bit for bit."""
    height, width = values.shape
    # Along each block's rows first, then down its columns, as NumPy's reduction goes.
    if step_x < UNROLLED:
        sums = values[:, 0::step_x]
        for offset in range(1, step_x):
            sums = sums + values[:, offset::step_x]
    else:
        sums = values.reshape(height, width // step_x, step_x).sum(axis=2)
    total = sums[0::step_y]
    for offset in range(1, step_y):
        total = total + sums[offset::step_y]
    return total / values.dtype.type(step_y * step_x)
