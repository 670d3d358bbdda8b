"""Evening out the light (digits.vision.illumination) on drawn pages whose light is known."""

from __future__ import annotations

import numpy as np
import pytest

from digits.vision import illumination
from tests.unit.pages import INK_DARKNESS, PAPER, draw_page

STROKES = (((300, 200), (360, 180), (330, 420)), ((560, 300), (640, 300), (600, 520)))


def _luminance(page) -> np.ndarray:
    rgb = np.asarray(page.image, dtype=np.float32) / 255
    return rgb @ np.float32([0.299, 0.587, 0.114])


def test_the_light_is_found_under_a_shadow_and_a_gradient():
    page = draw_page(strokes=STROKES, shadow=0.45, softness=60)
    light = illumination.paper_light(_luminance(page))
    paper = page.ink == 0
    error = np.abs(light / (PAPER * page.light) - 1)[paper]
    assert np.quantile(error, 0.5) < 0.01
    assert np.quantile(error, 0.99) < 0.04


def test_ink_is_what_is_darker_than_its_paper():
    page = draw_page(strokes=STROKES, shadow=0.45, softness=60, noise=0.01)
    luminance = _luminance(page)
    dark, noise = illumination.darkness(luminance, illumination.paper_light(luminance))
    # The shadow is no ink; ink is as dark in the shadow as out of it.
    assert np.quantile(np.abs(dark[page.ink == 0]), 0.99) < 0.05
    full = page.ink == 1
    assert abs(float(np.median(dark[full])) - INK_DARKNESS) < 0.08
    in_shadow = full & (page.light < 0.7)
    assert in_shadow.any()
    assert abs(float(np.median(dark[in_shadow])) - INK_DARKNESS) < 0.08
    # The noise is the paper's spread, relative to its light.
    assert 0.005 < noise < 0.03


def test_a_bold_stroke_is_not_taken_for_shadow():
    # A marker stroke wider than a few cells of the light's grid: a closing fills it.
    page = draw_page(strokes=(((200, 360), (760, 360)),), stroke_width=40, shadow=0.0)
    luminance = _luminance(page)
    dark, _ = illumination.darkness(luminance, illumination.paper_light(luminance))
    assert float(np.median(dark[340:380, 300:660])) > 0.7


def test_only_the_sheet_is_paper():
    corners = np.array([[200.0, 100.0], [760.0, 110.0], [750.0, 620.0], [210.0, 610.0]])
    page = draw_page(strokes=STROKES, corners=corners, shadow=0.3)
    inside = np.zeros(page.ink.shape, dtype=bool)
    inside[130:590, 240:720] = True
    luminance = _luminance(page)
    light = illumination.paper_light(luminance, inside)
    error = np.abs(light / (PAPER * page.light) - 1)[inside & (page.ink == 0)]
    assert np.quantile(error, 0.99) < 0.04


def test_the_noise_is_measured_where_it_is():
    # Paper whose right half is four times as noisy (a desk's grain, a shadow's sensor noise).
    rng = np.random.default_rng(0)
    dark = rng.normal(0, 0.01, (480, 640)).astype(np.float32)
    dark[:, 320:] *= 4
    dark[200:260, 100:110] = 0.8  # a stroke does not raise the noise around it
    noise = illumination.local_noise(dark, np.ones(dark.shape, dtype=bool))
    assert np.median(noise[:, :280]) == pytest.approx(0.01, rel=0.2)
    assert np.median(noise[:, 360:]) == pytest.approx(0.04, rel=0.2)
    assert noise[200:260, 100:110].max() < 0.015
    # Off the sheet, no noise is measured.
    assert illumination.local_noise(dark, np.zeros(dark.shape, dtype=bool)).max() == 0
