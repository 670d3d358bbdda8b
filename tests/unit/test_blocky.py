"""Blocky training digits (model.blocky): 8x8 counts made as the UCI digits were, and enlarged
back into digits the function's preprocessing accepts. Synthetic strokes stand in for MNIST."""

from __future__ import annotations

import numpy as np

from model import blocky
from tests.unit.synthetic import synthetic_digits


def test_counts_are_shares_of_ink_in_an_eight_by_eight_grid():
    digits = synthetic_digits(10)
    for digit in digits:
        counts = blocky.to_counts(digit)
        assert counts.shape == (8, 8)
        # A share of the 16 pixels of a 4x4 block: a whole number of sixteenths, in [0, 1].
        assert np.allclose(counts * 16, np.round(counts * 16))
        assert counts.min() >= 0
        assert counts.max() == 1


def test_counts_fill_the_grid_and_centre_the_ink():
    # A bar 4 pixels wide and 20 tall, at the left of the 28x28 image.
    bar = np.zeros((28, 28), dtype=np.uint8)
    bar[4:24, 2:6] = 255
    counts = blocky.to_counts(bar)
    rows, columns = np.flatnonzero(counts.any(axis=1)), np.flatnonzero(counts.any(axis=0))
    # Scaled to the grid's full height, and centred across whatever its place in the image.
    assert (rows[0], rows[-1]) == (0, 7)
    assert columns.min() + columns.max() == 7


def test_stretched_counts_fill_the_box_whatever_the_digits_shape():
    # The same bar stretched as NIST's normalisation stretched the UCI digits: a one as wide as
    # a zero. 24 bitmap pixels are six blocks.
    bar = np.zeros((28, 28), dtype=np.uint8)
    bar[4:24, 2:6] = 255
    counts = blocky.to_counts(bar, stretched_width=24)
    rows, columns = np.flatnonzero(counts.any(axis=1)), np.flatnonzero(counts.any(axis=0))
    assert (rows[0], rows[-1]) == (0, 7)
    assert (columns[0], columns[-1]) == (1, 6)
    assert counts[:, 1:7].min() == 1


def test_blocky_digits_are_mnist_shaped_labelled_and_deterministic():
    digits = synthetic_digits(20)
    labels = np.arange(20) % 5
    images, kept_labels = blocky.blocky_digits(digits, labels, seed=4)
    again, _ = blocky.blocky_digits(digits, labels, seed=4)
    other, _ = blocky.blocky_digits(digits, labels, seed=5)
    assert images.shape == (len(kept_labels), 28, 28)
    assert images.dtype == np.uint8
    assert len(kept_labels) >= 18
    np.testing.assert_array_equal(images, again)
    assert not np.array_equal(images, other)
    # White on black as MNIST, the ink fitted into the middle 20x20 as to_mnist fits it.
    assert images[:, :3].max() == 0
    assert images.max() == 255
