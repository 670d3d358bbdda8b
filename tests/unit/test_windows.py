"""Square-window maxima and minima against the plain definition, pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest

from digits.vision.windows import square_max, square_min


def by_definition(values: np.ndarray, reach: int, pick, outside: float) -> np.ndarray:
    """Return ``pick`` over each pixel's square, looking at every pixel of it one by one."""
    height, width = values.shape
    out = np.empty_like(values)
    for y in range(height):
        for x in range(width):
            seen = [
                values[y + dy, x + dx]
                if 0 <= y + dy < height and 0 <= x + dx < width
                else values.dtype.type(outside)
                for dy in range(-reach, reach + 1)
                for dx in range(-reach, reach + 1)
            ]
            out[y, x] = pick(seen)
    return out


@pytest.mark.parametrize("reach", [1, 2, 4])
def test_a_mask_grows_by_the_reach_and_keeps_its_type(reach):
    rng = np.random.default_rng(reach)
    mask = rng.random((13, 9)) < 0.1
    grown = square_max(mask, reach)
    assert grown.dtype == bool
    assert np.array_equal(grown, by_definition(mask, reach, max, 0))


@pytest.mark.parametrize("reach", [1, 3])
def test_maxima_and_minima_of_a_map_count_the_outside_as_told(reach):
    rng = np.random.default_rng(10 + reach)
    values = rng.random((7, 11)).astype(np.float32)
    assert np.array_equal(square_max(values, reach), by_definition(values, reach, max, 0))
    assert np.array_equal(
        square_min(values, reach, outside=np.inf), by_definition(values, reach, min, np.inf)
    )
    # An outside of 0 is the smallest value a minimum can meet near the border.
    assert (square_min(values, reach)[:reach] == 0).all()


def test_a_single_pixel_spreads_to_a_square_and_no_further():
    values = np.zeros((9, 9))
    values[4, 4] = 1
    grown = square_max(values, 2)
    assert grown[2:7, 2:7].min() == 1
    assert grown.sum() == 25
