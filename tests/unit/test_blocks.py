"""Block pooling gives what NumPy's reduction over the reshaped blocks gives, bit for bit."""

import numpy as np
import pytest

from digits.vision.blocks import block_any, block_mean

STEPS = [(1, 1), (1, 7), (2, 3), (3, 3), (6, 6), (7, 7), (8, 3), (3, 8), (9, 11), (12, 12)]


def _blocks(array: np.ndarray, step_y: int, step_x: int) -> np.ndarray:
    height, width = array.shape
    return array.reshape(height // step_y, step_y, width // step_x, step_x)


@pytest.mark.parametrize(("step_y", "step_x"), STEPS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_block_mean_is_numpys_mean_to_the_last_bit(step_y, step_x, dtype):
    rng = np.random.default_rng(step_y * 100 + step_x)
    for scale in (1.0, 1e-3, 300.0):
        values = (rng.random((5 * step_y, 7 * step_x)) * scale).astype(dtype)
        expected = _blocks(values, step_y, step_x).mean(axis=(1, 3))
        pooled = block_mean(values, step_y, step_x)
        assert pooled.dtype == expected.dtype
        assert np.array_equal(pooled, expected)


@pytest.mark.parametrize(("step_y", "step_x"), STEPS)
def test_block_any_marks_blocks_with_a_true_pixel(step_y, step_x):
    rng = np.random.default_rng(step_y * 100 + step_x)
    mask = rng.random((4 * step_y, 6 * step_x)) > 0.97
    assert np.array_equal(
        block_any(mask, step_y, step_x), _blocks(mask, step_y, step_x).any(axis=(1, 3))
    )


def test_block_mean_leaves_its_input_alone():
    values = np.arange(36, dtype=np.float32).reshape(6, 6)
    before = values.copy()
    assert np.array_equal(block_mean(values, 1, 1), before)
    block_mean(values, 2, 3)
    assert np.array_equal(values, before)
