"""The bench's writers give ink crops of every digit, the same for a seed, and per split apart.

No MNIST and no model here: the MNIST writer reads a synthetic stand-in for MNIST test.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bench import handwriting, heldout, single_digits, writers

WITHOUT_MNIST = tuple(w for w in writers.WRITERS if w != "mnist")


@pytest.fixture
def fake_mnist(monkeypatch):
    """MNIST test as a stand-in: tune's rows hold upright bars, report's rows flat bars."""
    labels = np.arange(10_000) % 10
    images = np.zeros((10_000, 28, 28), dtype=np.uint8)
    images[heldout.TUNE.mnist_rows, 4:24, 12:16] = 255
    images[heldout.REPORT.mnist_rows, 12:16, 4:24] = 255
    monkeypatch.setattr(writers, "mnist_test", lambda: (images, labels))


def glyph(writer: str, digit: int, seed: int = 0, split: str = "tune", height: int = 60):
    return writers.glyph(writer, digit, height, np.random.default_rng(seed), split)


@pytest.mark.parametrize("split", heldout.SPLITS)
@pytest.mark.parametrize("writer", WITHOUT_MNIST)
def test_every_writer_gives_every_digit_as_an_ink_crop(writer, split):
    for digit in range(10):
        ink = glyph(writer, digit, seed=digit, split=split)
        assert ink.ndim == 2
        assert ink.dtype == np.float32
        assert ink.min() >= 0
        assert 0.9 < ink.max() <= 1
        # Cropped to its ink: every edge row and column holds some.
        for edge in (ink[0], ink[-1], ink[:, 0], ink[:, -1]):
            assert edge.max() > writers.INK_FLOOR
        assert 50 <= ink.shape[0] <= 64, (writer, digit, ink.shape)


@pytest.mark.parametrize("writer", WITHOUT_MNIST)
def test_a_seed_gives_the_same_glyph_and_another_seed_another(writer):
    assert np.array_equal(glyph(writer, 3, seed=1), glyph(writer, 3, seed=1))
    others = [glyph(writer, 3, seed=s) for s in range(2, 6)]
    assert any(not np.array_equal(glyph(writer, 3, seed=1), o) for o in others)


@pytest.mark.parametrize("writer", WITHOUT_MNIST)
def test_tune_and_report_draw_from_different_sources(writer):
    tune = [glyph(writer, d, seed=d, split="tune") for d in range(10)]
    report = [glyph(writer, d, seed=d, split="report") for d in range(10)]
    same = sum(
        t.shape == r.shape and np.array_equal(t, r) for t, r in zip(tune, report, strict=True)
    )
    assert same == 0


def test_the_sources_of_the_two_splits_do_not_overlap():
    assert not set(writers.split_fonts("tune")) & set(writers.split_fonts("report"))
    tune_8x8, _ = writers.digits_8x8("tune")
    report_8x8, _ = writers.digits_8x8("report")
    assert len(tune_8x8) + len(report_8x8) == 1797
    assert not set(map(bytes, tune_8x8)) & set(map(bytes, report_8x8))
    assert not set(handwriting.hands("tune")) & set(handwriting.hands("report"))


def test_the_mnist_writer_reads_only_its_splits_rows(fake_mnist):
    for seed in range(5):
        upright = glyph("mnist", seed, seed=seed, split="tune")
        flat = glyph("mnist", seed, seed=seed, split="report")
        assert upright.dtype == flat.dtype == np.float32
        assert upright.shape[0] > 2 * upright.shape[1]
        assert flat.shape[1] > 2 * flat.shape[0]


def test_a_number_has_one_glyph_per_digit():
    rng = np.random.default_rng(0)
    for writer in WITHOUT_MNIST:
        assert len(writers.glyphs(writer, "90210", 50, rng, "report")) == 5


@pytest.mark.parametrize(
    ("writer", "split", "message"),
    [("crayon", "tune", "unknown writer"), ("strokes", "train", "unknown split")],
)
def test_unknown_writers_and_splits_are_refused(writer, split, message):
    with pytest.raises(ValueError, match=message):
        glyph(writer, 1, split=split)


@pytest.mark.parametrize("kind", ["digits8x8", "strokes"])
def test_single_digit_kinds_of_the_new_writers_are_images_of_their_digit(kind):
    samples = single_digits.KINDS[kind](10, 4, "tune")
    assert samples == single_digits.KINDS[kind](10, 4, "tune")
    assert samples != single_digits.KINDS[kind](10, 4, "report")
    assert [s.label for s in samples] == list(range(10))
    for sample in samples:
        Image.open(io.BytesIO(sample.data)).verify()
