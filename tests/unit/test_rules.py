"""Setting the page's own lines aside (digits.vision.rules) on drawn pages whose lines are known."""

from __future__ import annotations

import numpy as np
import pytest

from digits.vision import illumination, rules
from tests.unit.pages import INK_DARKNESS, draw_page

# A stroke that crosses the ruled lines, and one that lies along one (a 2's base on a line).
CROSSING = ((400, 180), (420, 500))
ALONG = ((520, 348), (700, 348))


def _darkness(page) -> tuple[np.ndarray, float]:
    rgb = np.asarray(page.image, dtype=np.float32) / 255
    luminance = rgb @ np.float32([0.299, 0.587, 0.114])
    return illumination.darkness(luminance, illumination.paper_light(luminance))


def _matches(found: list[rules.Line], truth: list[tuple[float, float, bool]]) -> bool:
    """Tell whether every true line was found within a pixel and a half, and nothing else."""
    if len(found) != len(truth):
        return False
    for offset, slope, across in truth:
        near = [
            line
            for line in found
            if line.across == across
            and abs(line.offset - offset) <= 1.5
            and abs(line.slope - slope) < 0.01
        ]
        if not near:
            return False
    return True


@pytest.mark.parametrize(
    ("spacing", "grid", "slope", "margin"),
    [(24, False, 0.0, 120.0), (30, False, 0.04, 150.0), (20, True, 0.02, None)],
    ids=["ruled", "ruled and turned", "grid"],
)
def test_the_page_lines_are_found(spacing, grid, slope, margin):
    page = draw_page(
        rule_spacing=spacing, grid=grid, slope=slope, margin=margin, strokes=(CROSSING,)
    )
    dark, noise = _darkness(page)
    assert _matches(rules.find_lines(dark, noise), page.lines)


def test_widely_ruled_lines_that_converge_in_perspective_are_found():
    # A tilted photo of a page ruled every 100 pixels: neighbouring lines differ by over a degree.
    page = draw_page(rule_spacing=100, converge=-0.15, strokes=(CROSSING,))
    slopes = np.degrees(np.arctan([line[1] for line in page.lines]))
    assert np.abs(np.diff(slopes)).min() > 1.0
    dark, noise = _darkness(page)
    assert _matches(rules.find_lines(dark, noise), page.lines)


def test_lines_that_fan_out_far_from_the_pages_direction_are_found():
    # Squared paper photographed tilted: its lines fan out by more than ten degrees across it, so
    # the lines at either side lie far from the direction most of them share.
    page = draw_page(rule_spacing=60, converge=-0.25, strokes=(CROSSING,))
    slopes = np.degrees(np.arctan([line[1] for line in page.lines]))
    assert slopes.max() - slopes.min() > 12
    dark, noise = _darkness(page)
    assert _matches(rules.find_lines(dark, noise), page.lines)


def test_lines_are_divided_out_and_writing_is_kept():
    page = draw_page(rule_spacing=24, margin=120, strokes=(CROSSING, ALONG), stroke_width=5)
    dark, noise = _darkness(page)
    clean = rules.remove_lines(dark, rules.find_lines(dark, noise))
    paper = page.ink == 0
    assert np.quantile(dark[paper], 0.99) > 0.15  # the lines were there
    assert np.quantile(np.abs(clean[paper]), 0.99) < 0.06
    # Where the writing crosses a line or lies along one, it is as dark as elsewhere.
    for stroke in (CROSSING, ALONG):
        (x0, y0), (x1, y1) = stroke
        ys = np.linspace(y0, y1, 50).round().astype(int)
        xs = np.linspace(x0, x1, 50).round().astype(int)
        assert np.median(clean[ys, xs]) > INK_DARKNESS - 0.1
        assert np.min(clean[ys, xs]) > 0.5


def test_a_long_stroke_of_writing_is_not_a_margin():
    # A large 1 in a fine pen, half the height of plain paper: no line beside it.
    page = draw_page(strokes=(((480, 180), (470, 540)),), stroke_width=3)
    dark, noise = _darkness(page)
    assert rules.find_lines(dark, noise) == []


def test_slanted_lines_that_cross_only_a_corner_of_the_frame_are_found():
    # Ruled lines at a slope of 0.1 every 40 pixels: the first and the last are in the frame only
    # where they cross its top right and bottom left corners, off the frame at its middle.
    height, width, slope = 600, 800, 0.1
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    dark = np.random.default_rng(0).normal(0, 0.01, (height, width)).astype(np.float32)
    offsets = np.arange(-20.0, height + 60, 40.0)
    for offset in offsets:
        centre = offset + slope * (x - width / 2)
        dark = np.maximum(dark, 0.25 * np.clip(1.5 - np.abs(y - centre), 0, 1))
    found = sorted(line.offset for line in rules.find_lines(dark, 0.01) if line.across)
    assert found[0] == pytest.approx(-20, abs=1.5)
    assert found[-1] == pytest.approx(620, abs=1.5)
    assert len(found) == len(offsets)


def test_along_lines_marks_the_pixels_near_each_line():
    lines = [rules.Line(10.0, 0.0, True), rules.Line(30.0, 0.1, False)]
    near = rules.along_lines((40, 60), lines, 2.0)
    assert near[8:13, :].all()
    assert not near[14:20, :25].any()
    # The upright line x = 30 + 0.1 (y - 20): at row 0, x = 28; at row 39, x = 31.9.
    assert near[0, 26:31].all()
    assert not near[0, 31:].any()
    assert near[39, 30:34].all()
