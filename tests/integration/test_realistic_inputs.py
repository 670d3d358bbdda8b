"""Realistic inputs of every kind are recognised by the committed model after decode + to_mnist.

A floor only: the per-kind figures come from `python -m bench.realistic` (README), not from here.
The kinds are made from MNIST test digits and read by the committed model, so not unit tests
(tests/unit/test_realistic.py holds the inputs that need neither).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench import realistic
from digits.imaging import formats
from model import redrawn

N = 20
# Generous floors for 20 inputs: a regression in decoding or normalisation (a canvas turned
# black, an un-inverted scan, a lost thin stroke) drops a kind far below them.
FLOORS = dict.fromkeys(realistic.FROM_MNIST, 0.8) | {"printed": 0.6}


@pytest.mark.parametrize("kind", realistic.KINDS)
def test_each_kind_is_recognised(kind, model):
    samples = realistic.KINDS[kind](N, 11)
    assert {s.label for s in samples} <= set(range(10))
    assert all(formats.image_type(s.data) in formats.ACCEPTED for s in samples)
    assert realistic.accuracy(model, samples) >= FLOORS[kind]


def test_mnist_digits_as_png_are_as_accurate_as_the_raw_arrays(model):
    samples = realistic.mnist_png(200, 3)
    _, digits, labels = realistic._pick(200, 3)
    raw = np.mean(model.predict_proba(digits).argmax(axis=1) == labels)
    assert realistic.accuracy(model, samples) >= raw - 0.015


def test_generators_are_deterministic():
    for generate in (realistic.photo_jpeg, realistic.printed):
        assert generate(3, 5) == generate(3, 5)
        assert generate(3, 5) != generate(3, 6)


@pytest.mark.parametrize("pen", redrawn.PENS)
def test_redrawn_training_digits_keep_their_labels(pen, model):
    images, labels = realistic._mnist_test()
    drawn, same = redrawn.redrawn_digits(images[:20], labels[:20], pen, seed=4)
    assert drawn.shape == (20, 28, 28)
    assert drawn.dtype == np.uint8
    assert np.array_equal(same, labels[:20])
    assert np.mean(model.predict_proba(drawn).argmax(axis=1) == same) >= 0.75


def test_low_resolution_digits_are_small_or_enlarged_thumbnails():
    from digits.imaging.decoding import decode_image

    samples = realistic.low_resolution(30, 2)
    assert samples == realistic.low_resolution(30, 2)
    sizes = [decode_image(s.data, max_pixels=10**7).image.size for s in samples]
    # Native captures are a few dozen pixels; thumbnails are enlarged 3-8 times.
    assert min(min(size) for size in sizes) < 40
    assert any(min(size) >= 3 * 16 for size in sizes)
    assert all(max(size) <= 8 * (16 + 2 * 6 + 2) for size in sizes)


def test_page_exports_are_opaque_rgba_pngs_of_the_pads_size_and_are_read(model):
    from digits.imaging.decoding import decode_image

    samples = realistic.page_png(N, 11)
    images = [decode_image(s.data, max_pixels=10**7).image for s in samples]
    assert {(image.mode, image.size) for image in images} == {("RGBA", realistic.PAGE_EXPORT)}
    assert all(image.getchannel("A").getextrema() == (255, 255) for image in images)
    assert realistic.accuracy(model, samples) >= FLOORS["canvas_png"]
