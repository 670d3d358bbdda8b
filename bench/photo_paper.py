"""Paper and desks for the photo bench: plain, ruled, squared and sticky-note sheets; desk tops.

A sheet is drawn in its own pixels at a known number of pixels per millimetre, so rules and
squares keep their printed spacing whatever the writing's size. Textures are drawn at a quarter
of the size and enlarged: paper fibre and wood grain are soft at a phone's resolution, and this
keeps a 12-megapixel frame quick to make.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw
from scipy import ndimage

PAPERS = ("plain", "ruled", "grid", "sticky")
DESKS = ("wood", "grey", "dark")
# Whole sheets in millimetres, portrait: office paper, a notebook page, a sticky note.
SHEETS_MM = {"plain": ((210, 297), (148, 210)), "sticky": ((76, 76),)}
WHITE = (250, 249, 245)
STICKY_COLOURS = {
    "yellow": (252, 238, 125),
    "pink": (250, 185, 205),
    "green": (200, 238, 170),
    "blue": (180, 218, 242),
    "orange": (252, 200, 135),
}
# Ruled lines are 6 to 9 mm apart and light blue, the margin red; squares are 4 to 6 mm.
RULE_SPACING_MM = (6.0, 9.0)
SQUARE_MM = (4.0, 6.0)
RULE_COLOUR = (150, 190, 232)
MARGIN_COLOUR = (232, 120, 130)
SQUARE_COLOURS = ((165, 198, 228), (185, 185, 190))
LINE_MM = 0.25
# Textures are drawn at 1/TEXTURE_STEP of the image's size.
TEXTURE_STEP = 4


@dataclass(frozen=True)
class Paper:
    """One sheet: its kind and colour, its whole size, and where its rules fall."""

    kind: str
    colour: tuple[int, int, int]
    colour_name: str
    size_mm: tuple[float, float]  # the whole sheet, portrait
    rule_mm: float  # spacing of ruled lines or squares; 0 for none
    margin: float  # the ruled margin's distance from the left edge, as a share of the width
    textured: bool


def choose_paper(kinds: tuple[str, ...], tone: bool, rng: np.random.Generator) -> Paper:
    """Draw a sheet of one of ``kinds``; with ``tone``, its colour and brightness vary too."""
    kind = kinds[int(rng.integers(len(kinds)))]
    sizes = SHEETS_MM["sticky" if kind == "sticky" else "plain"]
    size = sizes[int(rng.integers(len(sizes)))]
    if kind == "sticky":
        name = list(STICKY_COLOURS)[int(rng.integers(len(STICKY_COLOURS)))]
        base = np.array(STICKY_COLOURS[name], dtype=np.float64)
    else:
        name, base = "white", np.array(WHITE, dtype=np.float64)
    if tone:
        # Recycled, cream or greyish stock, and paper that reflects less than the whitest.
        tint = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 1.0)])
        base = base * tint * rng.uniform(0.85, 1.0)
    rule = 0.0
    if kind == "ruled":
        rule = rng.uniform(*RULE_SPACING_MM)
    elif kind == "grid":
        rule = rng.uniform(*SQUARE_MM)
    colour = tuple(round(float(c)) for c in base)
    return Paper(kind, colour, name, size, float(rule), float(rng.uniform(0.1, 0.45)), tone)


def draw_sheet(
    paper: Paper, size: tuple[int, int], px_per_mm: float, rng: np.random.Generator
) -> Image.Image:
    """Return an RGB sheet of ``size`` pixels: paper colour, its rules, and fibre if textured."""
    printed = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(printed)
    line = max(1, round(LINE_MM * px_per_mm))
    step = paper.rule_mm * px_per_mm
    if paper.kind in ("ruled", "grid") and step >= 3:
        colour = RULE_COLOUR
        if paper.kind == "grid":
            colour = SQUARE_COLOURS[int(rng.integers(len(SQUARE_COLOURS)))]
        for y in np.arange(rng.uniform(0, step), size[1], step):
            draw.line([(0, round(y)), (size[0], round(y))], fill=colour, width=line)
        if paper.kind == "grid":
            for x in np.arange(rng.uniform(0, step), size[0], step):
                draw.line([(round(x), 0), (round(x), size[1])], fill=colour, width=line)
        else:
            x = round(paper.margin * size[0])
            draw.line([(x, 0), (x, size[1])], fill=MARGIN_COLOUR, width=line)
    sheet = ImageChops.multiply(printed, Image.new("RGB", size, paper.colour))
    if paper.textured:
        small = (max(2, size[1] // TEXTURE_STEP), max(2, size[0] // TEXTURE_STEP))
        fibre = 0.012 * _smooth_noise(small, rng, 1.0) + 0.03 * _smooth_noise(small, rng, 12.0)
        _shade(sheet, _enlarge(1 + fibre.astype(np.float32), size))
    return sheet


def draw_desk(size: tuple[int, int], rng: np.random.Generator) -> tuple[Image.Image, str]:
    """Return a desk top of ``size`` pixels (wood, grey laminate or dark cloth) and its kind."""
    kind = DESKS[int(rng.integers(len(DESKS)))]
    small = (max(2, size[1] // TEXTURE_STEP), max(2, size[0] // TEXTURE_STEP))
    if kind == "wood":
        colour = np.array([rng.uniform(130, 200), rng.uniform(85, 135), rng.uniform(45, 85)])
        # Grain: noise stretched along the boards, which run across or down, bent into rings.
        across = rng.random() < 0.5
        grain = _smooth_noise(small, rng, (1.0, 40.0) if across else (40.0, 1.0))
        axis = 0 if across else 1
        position = np.arange(small[axis]) / small[axis]
        position = position[:, None] if across else position[None, :]
        rings = np.sin(2 * np.pi * (position * rng.uniform(6, 20) + 0.6 * grain))
        shade = 1 + 0.08 * rings + 0.05 * grain
    else:
        level = rng.uniform(110, 190) if kind == "grey" else rng.uniform(25, 60)
        colour = np.full(3, level) * np.array(
            [1.0, rng.uniform(0.97, 1.03), rng.uniform(0.95, 1.05)]
        )
        shade = 1 + 0.06 * _smooth_noise(small, rng, 0.7) + 0.05 * _smooth_noise(small, rng, 15.0)
    shade = _enlarge(shade.astype(np.float32), size)
    rgb = np.clip(shade[..., None] * colour.astype(np.float32), 0, 255)
    return Image.fromarray(np.rint(rgb).astype(np.uint8)), kind


def _smooth_noise(
    shape: tuple[int, int], rng: np.random.Generator, blur: float | tuple[float, float]
) -> np.ndarray:
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), blur)
    return noise / (noise.std() + 1e-9)


def _enlarge(field: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(field).resize(size, Image.Resampling.BILINEAR))


def _shade(image: Image.Image, factor: np.ndarray, rows: int = 256) -> None:
    """Multiply every channel of ``image`` in place by ``factor`` (one value per pixel)."""
    # A band of rows at a time: a whole 12-megapixel sheet in floats would take over 100 MB.
    for top in range(0, image.height, rows):
        box = (0, top, image.width, min(image.height, top + rows))
        band = np.asarray(image.crop(box), dtype=np.float32) * factor[box[1] : box[3], :, None]
        image.paste(Image.fromarray(np.clip(np.rint(band), 0, 255).astype(np.uint8)), box)
