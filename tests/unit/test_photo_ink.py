"""A photo of paper made into ink on white (digits.vision.photo), and who takes that path."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digits.vision import normalise, photo, sheet
from tests.unit.pages import draw_page

CORNERS = np.array([[190.0, 95.0], [760.0, 120.0], [740.0, 640.0], [170.0, 610.0]])
# A 7 written across the ruled lines, on the sheet.
SEVEN = ((380, 250), (520, 245), (450, 470))


@pytest.mark.parametrize(
    ("mode", "size", "expected"),
    [
        ("RGBA", (1600, 1200), False),  # the page's canvas: transparent
        ("RGB", (640, 480), False),  # a scan or a small photo, read as before
        ("RGB", (1600, 1200), True),
        ("L", (1200, 1600), True),
    ],
)
def test_only_large_opaque_images_take_the_photo_path(mode, size, expected):
    assert photo.looks_like_photo(Image.new(mode, size)) is expected


def test_the_ink_of_a_sheet_on_a_desk_is_all_that_is_left():
    page = draw_page(
        corners=CORNERS, rule_spacing=24, slope=0.03, margin=260, strokes=(SEVEN,), shadow=0.4
    )
    ink = 1 - np.asarray(_cleaned(page.image), dtype=np.float32) / 255
    written = page.ink > 0.5
    # The pen's strokes are there, at full strength in their middle...
    assert np.median(ink[written]) > 0.9
    # ... and nothing else: not the desk, the sheet's edges, the shadow or the page's lines.
    near = np.zeros_like(written)
    rows, columns = np.nonzero(written)
    near[rows.min() - 6 : rows.max() + 7, columns.min() - 6 : columns.max() + 7] = True
    assert (ink[~near] > 0.1).sum() == 0


def test_writing_across_a_hard_shadows_edge_is_kept_whole():
    # A shadow with a sharp, nearly upright edge steps like a sheet's edge; the 7 crosses it.
    edge = 0.55 * (960 + 0.1 * 720)
    seven = ((edge - 120, 250), (edge + 60, 245), (edge - 20, 470))
    page = draw_page(strokes=(seven,), shadow=0.5, softness=1.0, slant=0.1)
    assert sheet.find_sheet(page.image) is not None  # the shadow's edge passes for the sheet's
    ink = 1 - np.asarray(_cleaned(page.image), dtype=np.float32) / 255
    assert np.median(ink[page.ink > 0.5]) > 0.9
    assert (ink[page.ink == 0] > 0.1).sum() == 0


def test_writing_wholly_beyond_a_hard_shadows_edge_is_read_beyond_the_sheet():
    # The shadow's edge passes for the sheet's; the 7 lies wholly in the shadow, a tick in the
    # light. Inside the "sheet" only the tick is ink; beyond it, only the 7.
    edge = 0.55 * (960 + 0.1 * 720)
    seven = ((edge + 80, 250), (edge + 220, 245), (edge + 150, 470))
    tick = ((200, 300), (215, 320), (245, 280))
    page = draw_page(strokes=(seven, tick), shadow=0.5, softness=1.0, slant=0.1)
    corners = sheet.find_sheet(page.image)
    assert corners is not None
    seven_only = page.ink > 0.5
    seven_only[:, : int(edge)] = False
    for beyond, kept, lost in ((False, ~seven_only, seven_only), (True, seven_only, ~seven_only)):
        ink = 1 - np.asarray(photo.clean(page.image, corners, beyond), dtype=np.float32) / 255
        assert np.median(ink[kept & (page.ink > 0.5)]) > 0.9
        assert (ink[lost] > 0.1).sum() == 0


def test_writing_cut_by_the_sheets_edge_is_dropped_and_the_desk_stays_out():
    # A stroke that runs off the sheet onto the desk.
    page = draw_page(corners=CORNERS, strokes=(((400, 300), (560, 300), (800, 400)),))
    assert sheet.find_sheet(page.image) is not None
    assert np.asarray(_cleaned(page.image)).min() == 255


def test_a_photo_of_paper_alone_is_read_whole():
    # A digit near a corner of a ruled page that fills the frame is kept.
    page = draw_page(rule_spacing=24, strokes=(((80, 90), (140, 80), (110, 200)),))
    ink = 1 - np.asarray(_cleaned(page.image), dtype=np.float32) / 255
    assert np.median(ink[page.ink > 0.5]) > 0.9


def test_a_blank_page_has_no_ink():
    page = draw_page(rule_spacing=24, grid=True, shadow=0.5)
    assert np.asarray(_cleaned(page.image)).min() == 255


def test_drawings_and_small_images_never_take_the_photo_path(monkeypatch):
    def refuse(image):
        raise AssertionError("the photo path was taken")

    monkeypatch.setattr(photo, "clean", refuse)
    canvas = np.zeros((400, 400, 4), dtype=np.uint8)
    canvas[100:300, 190:210, 3] = 255
    scan = np.full((480, 640), 240, dtype=np.uint8)
    scan[150:330, 300:320] = 20
    for image in (Image.fromarray(canvas), Image.fromarray(scan)):
        assert normalise.to_mnist(image).max() > 0


def test_small_writing_is_analysed_at_a_finer_scale():
    page = draw_page((1600, 1200), strokes=(((800, 560), (830, 555), (815, 620)),), stroke_width=2)
    analysis = normalise.analyse(page.image)
    assert analysis.factor < -(-1024 // normalise.ANALYSIS_SIDE)
    assert normalise.to_mnist(page.image).max() == 255


def test_a_bold_stroke_along_a_ruled_line_keeps_its_digit():
    # A 2's base drawn along a rule with a marker hides much of that rule; the rule is still the
    # page's (its neighbours say where it is), so the digit is not joined to the sheet's edges.
    two = ((420, 220), (500, 200), (520, 260), (380, 348), (720, 348))
    page = draw_page(corners=CORNERS, rule_spacing=24, strokes=(two,), stroke_width=10)
    ink = 1 - np.asarray(_cleaned(page.image), dtype=np.float32) / 255
    assert np.median(ink[page.ink > 0.5]) > 0.9
    assert (ink[page.ink == 0] > 0.5).sum() < 0.05 * (page.ink > 0.5).sum()


def test_light_marks_on_a_dark_ground_go_back_to_the_usual_analysis():
    # White on black, as MNIST is, or chalk on a board: no paper, so no photo of paper.
    ground = np.zeros((600, 1600), dtype=np.uint8)
    ground[150:450, 500:520] = 255
    ground[150:170, 900:1100] = 255
    image = Image.fromarray(ground)
    assert photo.looks_like_photo(image)
    assert _cleaned(image) is None
    assert normalise.to_mnist(image).max() == 255


def _cleaned(image: Image.Image) -> Image.Image | None:
    """Return photo.clean's ink of ``image``, read inside the sheet found in it."""
    return photo.clean(image, sheet.find_sheet(image))
