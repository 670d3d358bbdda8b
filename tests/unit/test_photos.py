"""The photo bench's generator alone: deterministic, split-true, and its truth where it says.

A synthetic ring stands in for every MNIST test digit; no model is read.
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageOps

from bench import heldout, photos
from bench.photo_camera import ORIENTATION_TAG
from bench.photo_geometry import inside, rectangle

TARGET_SETS = ("plain", "all_fills", "all_desk", "all_small", "numbers_fills", "numbers_desk")


@pytest.fixture(scope="module")
def source() -> photos.Source:
    """Ten thousand rows shaped like MNIST's test set, each a ring, labelled 0 to 9 in turn."""
    y, x = np.mgrid[0:28, 0:28]
    ring = (np.abs(np.hypot(y - 14, x - 14) - 7) < 2).astype(np.uint8) * 255
    return np.repeat(ring[None], 10_000, axis=0), np.arange(10_000) % 10


def _photos(factors: photos.Factors, source: photos.Source, n: int, split: str = "tune") -> list:
    """Photos with only ``factors``: the geometry alone is quicker to draw than every factor."""
    return [photos.photo(heldout.split(split), index, factors, source) for index in range(n)]


# The pose and the placement, with none of the light and camera factors.
TURNED = replace(photos.PLAIN, tilt=True, rotation=True)


def _stored(sample: photos.PhotoSample) -> Image.Image:
    return Image.open(io.BytesIO(sample.data))


def _upright(sample: photos.PhotoSample) -> Image.Image:
    return ImageOps.exif_transpose(_stored(sample))


def test_named_sets_include_each_factor_and_the_targets():
    singles = {"paper", "pen", "shadow", "vignette", "colour_cast", "tilt", "rotation", "blur"}
    singles |= {"noise", "jpeg", "exif", "small", "desk", "ruled", "grid", "sticky"}
    assert singles | set(TARGET_SETS) | {"full_size"} <= set(photos.SETS)


def test_a_set_is_the_same_for_the_same_split_and_differs_between_splits(source):
    tune = photos.generate("tune", 2, "all_desk", source)
    assert tune == photos.generate("tune", 2, "all_desk", source)
    assert tune[0] == photos.generate("tune", 1, "all_desk", source)[0]
    report = photos.generate("report", 1, "all_desk", source)
    assert report[0].data != tune[0].data


def test_tune_and_report_draw_their_own_halves_of_mnist_test(source):
    numbers = replace(photos.PLAIN, digits=(2, 6))
    for split in heldout.SPLITS:
        rows = heldout.split(split).mnist_rows
        samples = _photos(numbers, source, 2, split)
        drawn = [row for s in samples for row in s.mnist_rows]
        assert all(rows.start <= row < rows.stop for row in drawn)
        for sample in samples:
            assert [source[1][row] for row in sample.mnist_rows] == [int(c) for c in sample.number]


def test_numbers_have_two_to_six_digits(source):
    samples = _photos(replace(photos.PLAIN, digits=(2, 6), desk=True), source, 4)
    assert all(2 <= len(s.number) <= 6 and s.number.isdigit() for s in samples)


def test_exif_turned_photos_are_stored_turned_with_their_orientation(source):
    samples = photos.generate("tune", 6, "exif", source)
    orientations = [_stored(s).getexif().get(ORIENTATION_TAG) for s in samples]
    assert orientations == [s.factors["orientation"] for s in samples]
    assert set(orientations) <= {3, 6, 8}
    assert {6, 8} & set(orientations)
    for sample, orientation in zip(samples, orientations, strict=True):
        upright = tuple(sample.factors["frame"])
        assert _upright(sample).size == upright
        turned = orientation in (6, 8)
        assert _stored(sample).size == (upright[::-1] if turned else upright)


def test_plain_photos_are_upright_and_unturned(source):
    for sample in photos.generate("tune", 2, "plain", source):
        assert _stored(sample).getexif().get(ORIENTATION_TAG) == 1
        assert _stored(sample).size in {(1600, 1200), (1200, 1600)}


def test_full_size_photos_are_stored_as_a_phone_sensor_does(source):
    assert photos.SETS["full_size"].full_size
    full_size = replace(photos.PLAIN, full_size=True, exif=True, jpeg=True)
    sample = photos.photo(heldout.split("tune"), 0, full_size, source)
    assert _stored(sample).format == "JPEG"
    assert _stored(sample).size == (4032, 3024)
    assert 70 <= sample.factors["jpeg_quality"] <= 92


def test_on_a_desk_the_sheet_lies_inside_the_frame_around_the_writing(source):
    for sample in _photos(replace(TURNED, desk=True), source, 4):
        frame = _upright(sample).size
        corners = np.array(sample.sheet_corners)
        assert inside(corners, rectangle(*frame)).all()
        assert 0.3 <= sample.factors["sheet_share"] <= 0.9
        x, y, width, height = sample.writing_box
        assert inside(rectangle(width, height, x, y), corners).all()


def test_a_filling_sheet_covers_the_frame_and_the_writing_is_in_it(source):
    for sample in _photos(TURNED, source, 4):
        frame = _upright(sample).size
        assert inside(rectangle(*frame), np.array(sample.sheet_corners)).all()
        x, y, width, height = sample.writing_box
        assert inside(rectangle(width, height, x, y), rectangle(*frame)).all()


def test_the_ink_is_inside_the_writing_box(source):
    for sample in photos.generate("tune", 3, "plain", source):
        grey = np.asarray(_upright(sample).convert("L"))
        rows, cols = np.nonzero(grey < 128)
        x, y, width, height = sample.writing_box
        assert x - 2 <= cols.min()
        assert cols.max() <= x + width + 2
        assert y - 2 <= rows.min()
        assert rows.max() <= y + height + 2
        assert height == pytest.approx(sample.factors["digit_height"] * grey.shape[0], abs=2)


def test_small_writing_is_small(source):
    for sample in photos.generate("tune", 3, "small", source):
        assert 0.05 <= sample.factors["digit_height"] <= 0.12


def test_a_factor_switched_on_changes_only_what_it_draws(source):
    side = heldout.split("tune")
    plain = photos.photo(side, 0, photos.PLAIN, source)
    blurred = photos.photo(side, 0, replace(photos.PLAIN, blur=True), source)
    assert blurred.writing_box == plain.writing_box
    assert blurred.mnist_rows == plain.mnist_rows
    assert blurred.data != plain.data
    assert set(blurred.factors) - set(plain.factors) <= {"blur", "blur_px", "motion_angle"}


def test_a_blank_sets_photo_is_the_written_ones_without_its_writing(source):
    written_factors = replace(photos.PLAIN, desk=True)
    written = photos.photo(heldout.split("tune"), 0, written_factors, source)
    blank = photos.photo(heldout.split("tune"), 0, replace(written_factors, written=False), source)
    assert blank.number == ""
    assert written.number
    assert blank.sheet_corners == written.sheet_corners
    grey = [np.asarray(_upright(s).convert("L"), dtype=np.int16) for s in (written, blank)]
    differs = np.abs(grey[0] - grey[1]) > 40
    x, y, width, height = written.writing_box
    assert differs[y : y + height, x : x + width].any()
    differs[max(0, y - 4) : y + height + 4, max(0, x - 4) : x + width + 4] = False
    assert not differs.any()
    assert not photos.SETS["blank_fills"].written
    assert not photos.SETS["blank_desk"].written
