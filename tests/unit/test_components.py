"""Connected components: the run-based labelling against a plain flood fill, and speck removal."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from digits.errors import NothingDrawn
from digits.vision.components import drop_specks, label_components


def flood_fill_labels(mask: np.ndarray) -> np.ndarray:
    """Label 8-connected components pixel by pixel, numbered in raster order of first pixels."""
    labels = np.full(mask.shape, -1, dtype=np.int64)
    height, width = mask.shape
    count = 0
    for y, x in zip(*np.nonzero(mask), strict=True):
        if labels[y, x] >= 0:
            continue
        labels[y, x] = count
        queue = deque([(y, x)])
        while queue:
            cy, cx = queue.popleft()
            for ny in range(max(0, cy - 1), min(height, cy + 2)):
                for nx in range(max(0, cx - 1), min(width, cx + 2)):
                    if mask[ny, nx] and labels[ny, nx] < 0:
                        labels[ny, nx] = count
                        queue.append((ny, nx))
        count += 1
    return labels


@pytest.mark.parametrize("density", [0.05, 0.3, 0.45, 0.6])
def test_labels_match_a_flood_fill_on_random_masks(density):
    rng = np.random.default_rng(int(density * 100))
    for _ in range(20):
        mask = rng.random((int(rng.integers(1, 40)), int(rng.integers(1, 40)))) < density
        assert np.array_equal(label_components(mask), flood_fill_labels(mask))


def test_diagonal_neighbours_join_and_a_gap_of_one_column_separates():
    mask = np.zeros((4, 7), dtype=bool)
    mask[0, 0] = mask[1, 1] = mask[2, 2] = True  # a diagonal stroke: one component
    mask[0, 4] = mask[1, 4] = True  # beside it, one empty column away from nothing
    mask[3, 6] = True
    labels = label_components(mask)
    assert labels[0, 0] == labels[1, 1] == labels[2, 2] == 0
    assert labels[0, 4] == labels[1, 4] == 1
    assert labels[3, 6] == 2
    assert (labels[~mask] == -1).all()


def test_a_blank_mask_has_no_labels():
    assert (label_components(np.zeros((5, 6), dtype=bool)) == -1).all()


def test_specks_beside_a_digit_are_dropped_and_the_digit_kept():
    ink = np.zeros((100, 100), dtype=np.float32)
    ink[20:80, 40:48] = 1.0  # a stroke
    ink[5:7, 90:92] = 1.0  # a speck far from it
    cleaned = drop_specks(ink)
    assert cleaned[20:80, 40:48].min() == 1.0
    assert cleaned[5:7, 90:92].max() == 0.0


def test_only_specks_are_refused():
    ink = np.zeros((50, 50), dtype=np.float32)
    ink[10, 10] = 1.0
    with pytest.raises(NothingDrawn):
        drop_specks(ink)
