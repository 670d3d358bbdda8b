"""Each single-digit kind of the bench draws its own digits, the same ones for a split each time.

No MNIST and no model here: the kinds made from MNIST read a synthetic stand-in for MNIST test.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench import heldout, realistic, single_digits

FROM_MNIST = ("mnist_png", "canvas_png", "scan", "thick_strokes")


@pytest.fixture(autouse=True)
def fake_mnist(monkeypatch):
    """MNIST test as a stand-in: an upright bar in every row, labels in no order."""
    labels = np.random.default_rng(0).integers(0, 10, 10_000)
    images = np.zeros((10_000, 28, 28), dtype=np.uint8)
    images[:, 4:24, 12:16] = 255
    monkeypatch.setattr(realistic, "_mnist_test", lambda: (images, labels))


def labels_of(kind: str, split: str = "tune") -> list[int]:
    return [sample.label for sample in single_digits.samples(kind, 24, split)]


def test_kinds_made_from_mnist_do_not_all_show_the_same_digits():
    # One seed for every kind drew the same rows, so the same labels in the same order.
    drawn = {kind: labels_of(kind) for kind in FROM_MNIST}
    assert len({tuple(labels) for labels in drawn.values()}) == len(FROM_MNIST)


def test_a_kind_draws_the_same_digits_each_time_and_others_on_the_other_split():
    assert labels_of("canvas_png") == labels_of("canvas_png")
    assert labels_of("canvas_png") != labels_of("canvas_png", heldout.REPORT.name)


def test_every_kind_has_a_seed_of_its_own_on_each_split():
    seeds = {
        single_digits.kind_seed(kind, split)
        for kind in single_digits.KINDS
        for split in heldout.SPLITS
    }
    assert len(seeds) == 2 * len(single_digits.KINDS)
