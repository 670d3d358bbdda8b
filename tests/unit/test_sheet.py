"""Finding the sheet in a photo (digits.vision.sheet) on drawn pages whose corners are known."""

from __future__ import annotations

import numpy as np
import pytest

from digits.vision import sheet
from tests.unit.pages import draw_page

# A sheet turned a little and seen a little from one side: clockwise from its top left.
CORNERS = np.array([[190.0, 95.0], [760.0, 120.0], [740.0, 640.0], [170.0, 610.0]])
DIAGONAL = float(np.hypot(960, 720))


def _error(found: np.ndarray, truth: np.ndarray) -> float:
    """Return the farthest a found corner is from the true one, as a share of the diagonal."""
    return float(np.hypot(*(found - truth).T).max()) / DIAGONAL


@pytest.mark.parametrize(
    ("desk", "paper"),
    [
        ((0.45, 0.30, 0.16), (0.92, 0.92, 0.92)),  # white paper on wood
        ((0.12, 0.12, 0.13), (0.92, 0.92, 0.92)),  # on a dark cloth
        ((0.80, 0.80, 0.80), (0.62, 0.80, 0.90)),  # a blue note on a paler grey desk
    ],
)
def test_the_corners_of_a_sheet_on_a_desk_are_found(desk, paper):
    page = draw_page(
        corners=CORNERS,
        desk=desk,
        paper=paper,
        rule_spacing=24,
        slope=0.03,
        strokes=(((420, 300), (470, 280), (450, 420)),),
    )
    found = sheet.find_sheet(page.image)
    assert found is not None
    assert _error(found, CORNERS) < 0.01


def test_a_side_off_the_frame_takes_the_frame_edge():
    # The sheet runs off the bottom of the frame: its bottom side is the frame's.
    corners = np.array([[150.0, 120.0], [800.0, 110.0], [820.0, 760.0], [140.0, 770.0]])
    found = sheet.find_sheet(draw_page(corners=corners).image)
    assert found is not None
    assert _error(found[:2], corners[:2]) < 0.01
    assert found[2:, 1] == pytest.approx(720, abs=8)


@pytest.mark.parametrize(
    ("corners", "sides"),
    [
        (CORNERS, 4),  # lying on a desk
        (np.array([[150.0, 120.0], [800.0, 110.0], [820.0, 760.0], [140.0, 770.0]]), 3),
        (np.array([[300.0, -50.0], [1100.0, -50.0], [1100.0, 800.0], [260.0, 800.0]]), 1),
    ],
    ids=["four", "off the bottom", "one edge"],
)
def test_the_sides_found_within_the_frame_are_counted(corners, sides):
    page = draw_page(corners=corners)
    assert sheet.sides_within(sheet.find_sheet(page.image), page.image.size) == sides


def test_a_hard_shadows_edge_is_one_side_and_paper_alone_none():
    shadow = draw_page(shadow=0.5, softness=1.0, slant=0.1)
    assert sheet.sides_within(sheet.find_sheet(shadow.image), shadow.image.size) == 1
    assert sheet.sides_within(None, shadow.image.size) == 0


@pytest.mark.parametrize(
    "photo",
    [
        draw_page(rule_spacing=24, margin=120),  # ruled paper filling the frame
        draw_page(rule_spacing=18, grid=True, slope=0.02),  # squared paper
        draw_page(shadow=0.6, softness=30),  # a hand's shadow with a sharp edge
        draw_page(strokes=(((480, 60), (470, 660)),), stroke_width=30),  # one bold long stroke
    ],
    ids=["ruled", "grid", "sharp shadow", "bold stroke"],
)
def test_a_photo_of_paper_alone_has_no_sheet_edge(photo):
    assert sheet.find_sheet(photo.image) is None


def test_the_mask_is_inset_from_the_edges():
    square = np.array([[100.0, 100.0], [300.0, 100.0], [300.0, 300.0], [100.0, 300.0]])
    mask = sheet.sheet_mask(square, (400, 400), inset=10)
    assert mask[110:290, 110:290].all()
    outside = np.ones_like(mask)
    outside[108:292, 108:292] = False
    assert not mask[outside].any()
    assert sheet.sheet_mask(None, (40, 30), inset=10).all()
