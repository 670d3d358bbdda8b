"""Photographed pages drawn with their truth known: the light, the ink, the page's lines, the sheet.

A page is paper (reflectance PAPER) with ruled or grid lines and pen strokes on it, lit by a known
field (a soft shadow and a gradient), optionally lying on a desk, with camera noise. Everything a
test compares against is returned beside the image.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

PAPER = 0.92
RULE_DARKNESS = 0.28
INK_DARKNESS = 0.85
DESK = (0.45, 0.30, 0.16)


@dataclass(frozen=True)
class Page:
    """An RGB photo of a page and what made it."""

    image: Image.Image
    light: np.ndarray  # the light falling on each pixel, (height, width)
    ink: np.ndarray  # how much of each pixel the pen covers, in [0, 1]
    lines: list[tuple[float, float, bool]] = field(default_factory=list)  # offset, slope, across
    corners: np.ndarray | None = None  # the sheet's, clockwise from its top left


def draw_page(
    size: tuple[int, int] = (960, 720),
    *,
    rule_spacing: float = 0.0,
    grid: bool = False,
    slope: float = 0.0,
    converge: float = 0.0,
    margin: float | None = None,
    strokes: tuple[tuple[tuple[float, float], ...], ...] = (),
    stroke_width: int = 4,
    shadow: float = 0.4,
    softness: float = 60.0,
    slant: float = 0.6,
    corners: np.ndarray | None = None,
    desk: tuple[float, float, float] = DESK,
    paper: tuple[float, float, float] = (PAPER, PAPER, PAPER),
    noise: float = 0.01,
    seed: int = 0,
) -> Page:
    """Draw a page; ``strokes`` are polylines in pixels, ``corners`` put the sheet on a desk."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    lines = []
    ruled = np.zeros((height, width), dtype=np.float32)
    if rule_spacing:
        for offset in np.arange(rule_spacing / 2, height, rule_spacing):
            # ``converge``: the lines meet far off to the side, as a page's do in a tilted photo.
            turned = slope + converge * (offset - height / 2) / height
            ruled = np.maximum(ruled, _line_mask(y - (offset + turned * (x - width / 2))))
            lines.append((float(offset), turned, True))
        if grid:
            for offset in np.arange(rule_spacing / 2, width, rule_spacing):
                ruled = np.maximum(ruled, _line_mask(x - (offset - slope * (y - height / 2))))
                lines.append((float(offset), -slope, False))
    if margin is not None:
        ruled = np.maximum(ruled, _line_mask(x - (margin - slope * (y - height / 2))))
        lines.append((float(margin), -slope, False))
    ink_image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(ink_image)
    for stroke in strokes:
        draw.line(stroke, fill=255, width=stroke_width, joint="curve")
    ink = np.asarray(ink_image, dtype=np.float32) / 255
    reflect = (1 - RULE_DARKNESS * ruled) * (1 - INK_DARKNESS * ink)
    rgb = reflect[..., None] * np.array(paper, dtype=np.float32)
    if corners is not None:
        sheet = Image.new("L", size, 0)
        ImageDraw.Draw(sheet).polygon([tuple(p) for p in corners], fill=255)
        on_sheet = np.asarray(sheet, dtype=np.float32)[..., None] / 255
        rgb = on_sheet * rgb + (1 - on_sheet) * np.array(desk, dtype=np.float32)
    # A shadow whose edge (soft unless ``softness`` is small) runs diagonally, ``slant`` pixels
    # across for each down, over light that falls off from the left.
    edge = (x + slant * y - 0.55 * (width + slant * height)) / softness
    light = (1 - shadow * np.clip(edge + 0.5, 0, 1)) * (1 - 0.2 * x / width)
    rng = np.random.default_rng(seed)
    rgb = rgb * light[..., None] + rng.normal(0, noise, rgb.shape).astype(np.float32)
    image = Image.fromarray(np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8))
    return Page(image, light, ink, lines, corners)


def _line_mask(distance: np.ndarray, width: float = 2.0) -> np.ndarray:
    """Return the coverage of a printed line ``width`` pixels wide, antialiased."""
    return np.clip(width / 2 + 0.5 - np.abs(distance), 0, 1)
