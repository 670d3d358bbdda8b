"""The "not one digit" training data and refusal bench: deterministic, well formed, and never a
digit in disguise. Synthetic strokes stand in for MNIST, so no data set or model is needed."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bench import not_digits as bench_not_digits
from digits.vision.components import label_components
from model import fragments, glyphs, neighbours, not_digits, scribbles
from model.pen import draw_strokes
from model.printed import TRAIN_FONTS, font_dir, glyph_ink
from tests.unit.synthetic import synthetic_digits


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return synthetic_digits()


def bar(length: float = 90, width: float = 8, degrees: float = 0) -> np.ndarray:
    """Return the ink crop of a straight stroke ``degrees`` from vertical."""
    angle = np.deg2rad(degrees)
    end = (length * np.sin(angle), length * np.cos(angle))
    return draw_strokes([np.array([(0.0, 0.0), end])], width)


def arc(degrees_from: float, degrees_to: float, radius: float = 40) -> np.ndarray:
    angles = np.deg2rad(np.linspace(degrees_from, degrees_to, 30))
    return draw_strokes([np.stack([radius * np.cos(angles), radius * np.sin(angles)], 1)], 7)


def test_the_same_seed_gives_the_same_images(digits):
    first, first_kinds = not_digits.not_digit_images(40, 5, digits)
    again, again_kinds = not_digits.not_digit_images(40, 5, digits)
    other, _ = not_digits.not_digit_images(40, 6, digits)
    assert np.array_equal(first, again)
    assert first_kinds == again_kinds
    assert not np.array_equal(first, other)


def test_images_are_mnist_shaped_and_mixed_as_declared(digits):
    images, kinds = not_digits.not_digit_images(50, 1, digits)
    assert images.shape == (50, 28, 28)
    assert images.dtype == np.uint8
    assert all(image.max() > 0 for image in images)
    assert {k: kinds.count(k) for k in set(kinds)} == {
        k: c for k, c in not_digits.counts(50).items() if c
    }


def test_an_unknown_split_is_refused(digits):
    with pytest.raises(ValueError, match="split"):
        not_digits.not_digit_images(10, 0, digits, split="tune")


@pytest.mark.parametrize("kind", list(not_digits.MIX))
def test_every_kind_gives_ink_crops(kind, digits):
    made = not_digits.generators(digits, TRAIN_FONTS)[kind](6, np.random.default_rng(2))
    assert len(made) == 6
    for crop in made:
        assert crop.ndim == 2
        assert crop.dtype == np.float32
        assert crop.min() >= 0
        assert crop.max() <= 1
        # Cropped to its ink: every border row and column holds some.
        borders = (crop[0], crop[-1], crop[:, 0], crop[:, -1])
        assert all(border.max() > 0 for border in borders)


@pytest.mark.parametrize("digit", [1, 4, 8])
def test_a_printed_glyph_is_cut_to_its_ink_at_about_the_height_asked(digit):
    for name in TRAIN_FONTS:
        ink = glyph_ink(digit, font_dir() / name, 60)
        assert 45 <= ink.shape[0] <= 75, name
        borders = (ink[0], ink[-1], ink[:, 0], ink[:, -1])
        assert all(border.max() > 0 for border in borders), name


def test_touching_digits_are_printed_only_when_fonts_are_given(digits, monkeypatch):
    monkeypatch.setattr(neighbours, "PRINTED_SHARE", 1.0)
    fonts = tuple(font_dir() / name for name in TRAIN_FONTS)
    printed = neighbours.touching_digits(8, np.random.default_rng(4), digits, fonts)
    again = neighbours.touching_digits(8, np.random.default_rng(4), digits, fonts)
    handwritten = neighbours.touching_digits(8, np.random.default_rng(4), digits)
    assert all(np.array_equal(a, b) for a, b in zip(printed, again, strict=True))
    assert not any(a.shape == b.shape for a, b in zip(printed, handwritten, strict=True))
    # Two or three glyphs side by side: wider than one digit of a font ever is.
    assert all(crop.shape[1] > crop.shape[0] for crop in printed)


def test_stroke_contact_is_the_overlap_at_which_strokes_first_meet():
    left = np.zeros((6, 5))
    left[1:5, 2] = 1  # a stroke two blank columns before the box's right edge
    right = np.zeros((6, 4))
    right[2:6, 1] = 1  # a stroke one blank column after the box's left edge
    assert neighbours.stroke_contact(left, right, 0) == 4
    # One row lower, their rows in common still meet at the same overlap.
    assert neighbours.stroke_contact(left, right, 1) == 4
    # No row in common: the boxes only abut.
    assert neighbours.stroke_contact(left, right, 6) == 0
    # A row where only one side has ink does not count.
    right[5, :] = 1
    assert neighbours.stroke_contact(left, right, 0) == 4


def test_touching_digits_placed_by_contact_are_one_piece(digits, monkeypatch):
    monkeypatch.setattr(neighbours, "CONTACT_SHARE", 1.0)
    pairs = neighbours.touching_digits(12, np.random.default_rng(2), digits)
    for crop in pairs:
        assert label_components(crop > neighbours.INK_FLOOR).max() == 0


@pytest.mark.parametrize(
    ("digit", "characters"),
    [
        ("0", "OoQD"),
        ("1", "Il|ij"),
        ("2", "Zz"),
        ("5", "Ss"),
        ("6", "bG"),
        ("7", "T"),
        ("8", "B"),
        ("9", "gq"),
    ],
)
def test_characters_that_pass_for_digits_are_excluded(digit, characters):
    assert set(characters) <= set(glyphs.LOOKS_LIKE_A_DIGIT[digit])
    assert not set(characters) & set(glyphs.LETTERS + glyphs.SYMBOLS)


def test_excluded_characters_are_never_drawn(monkeypatch):
    drawn = []

    def record(char, font, rng):
        drawn.append(char)
        return np.ones((4, 4), dtype=np.float32)

    monkeypatch.setattr(glyphs, "written", record)
    rng = np.random.default_rng(0)
    glyphs.letters(400, rng, TRAIN_FONTS)
    glyphs.symbols(400, rng, TRAIN_FONTS)
    assert not set(drawn) & set(glyphs.EXCLUDED)
    assert set(drawn) <= set(glyphs.LETTERS + glyphs.SYMBOLS)


@pytest.mark.parametrize("degrees", [0, 15, -30])
@pytest.mark.parametrize("width", [4, 10, 18])
def test_a_bar_near_vertical_looks_like_a_one(degrees, width):
    assert fragments.looks_like_a_one(bar(width=width, degrees=degrees))


@pytest.mark.parametrize(
    "crop",
    [bar(degrees=80), bar(degrees=-70), arc(-80, 80), arc(0, 180), arc(0, 300)],
    ids=["horizontal", "falling", "open right", "cup", "ring"],
)
def test_lines_across_and_curves_do_not_look_like_a_one(crop):
    assert not fragments.looks_like_a_one(crop)


def test_the_fragment_filter_rejects_a_thin_vertical_bar():
    whole = draw_strokes([np.array([(0.0, 0.0), (60.0, 0.0), (20.0, 90.0)])], 8)  # a 7
    assert not fragments.is_clearly_partial(bar(length=60, width=6), whole)
    assert fragments.is_clearly_partial(bar(length=60, width=6, degrees=80), whole)


def test_a_bar_is_never_served_as_not_a_digit():
    assert not_digits.as_served(bar()) is None
    assert not_digits.as_served(bar(degrees=80)).shape == (28, 28)


def test_a_closed_loop_is_a_loop():
    assert fragments.holds_a_loop(arc(0, 370))
    assert not fragments.holds_a_loop(arc(0, 180))


def test_cuts_keep_the_side_asked_for():
    wide = draw_strokes([np.array([(0.0, 0.0), (100.0, 0.0)])], 6)
    left = fragments.cut(wide, "left", 0.3, np.random.default_rng(0))
    right = fragments.cut(wide, "right", 0.3, np.random.default_rng(0))
    assert left.shape[1] < wide.shape[1] * 0.4
    assert right.shape[1] > wide.shape[1] * 0.6


@pytest.mark.parametrize("name", sorted(scribbles.SHAPES))
def test_no_drawn_mark_is_a_one(name):
    rng = np.random.default_rng(4)
    for _ in range(10):
        crop = scribbles.SHAPES[name](rng, 90.0, 6.0)
        assert not fragments.looks_like_a_one(crop)


@pytest.mark.parametrize("kind", ["letters", "scribbles"])
def test_refusal_sets_are_deterministic_pngs(kind):
    sent = bench_not_digits.refusal_set(kind, 3, "tune")
    assert sent == bench_not_digits.refusal_set(kind, 3, "tune")
    assert sent != bench_not_digits.refusal_set(kind, 3, "report")
    for data in sent:
        image = Image.open(io.BytesIO(data))
        assert image.format == "PNG"
        assert image.mode in ("RGB", "RGBA")


def test_the_mix_adds_up_and_processes_do_not_change_the_images(digits):
    assert sum(not_digits.MIX.values()) == pytest.approx(1)
    alone, kinds = not_digits.not_digit_images(24, 9, digits)
    shared, shared_kinds = not_digits.not_digit_images(24, 9, digits, jobs=2)
    assert np.array_equal(alone, shared)
    assert kinds == shared_kinds
