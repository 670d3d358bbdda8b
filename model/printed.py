"""Printed digits for training, already passed through to_mnist: what MNIST alone lacks.

The model owner decides whether to train on them. Fonts are the TTFs the pinned matplotlib ships
(requirements-dev.txt). TRAIN_FONTS and TEST_FONTS are disjoint files: bench/realistic.py measures
printed digits in TEST_FONTS only, so training on TRAIN_FONTS does not grade itself on its own
glyphs (the families overlap, e.g. DejaVu Serif in test and DejaVu Serif Bold in training).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digits.vision import normalise

TEST_FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSerif.ttf",
    "STIXGeneral.ttf",
    "cmr10.ttf",
    "cmss10.ttf",
)
TRAIN_FONTS = (
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono-Oblique.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneralBol.ttf",
    "STIXGeneralItalic.ttf",
    "STIXGeneralBolIta.ttf",
    "cmb10.ttf",
    "cmti10.ttf",
    "cmtt10.ttf",
)


def font_dir() -> Path:
    """Return the folder of TTF files shipped by matplotlib."""
    import matplotlib  # a dev dependency, needed only to find the fonts

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def glyph_ink(digit: int, font: Path, height: int) -> np.ndarray:
    """Return ``digit`` in ``font`` as ink in [0, 1], cut to its bounds, about ``height`` tall."""
    face = ImageFont.truetype(str(font), max(8, round(height * 1.4)))
    image = Image.new("L", (height * 2 + 16, height * 3 + 16), 0)
    ImageDraw.Draw(image).text((height // 2 + 8, height // 2 + 8), str(digit), fill=255, font=face)
    ink = np.asarray(image, dtype=np.float32) / 255
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]


def render_printed(
    label: int, font: Path, size: int, rng: np.random.Generator, tilt: float = 0.0
) -> Image.Image:
    """Render one digit, dark on light, at a random place in a page-like greyscale image."""
    face = ImageFont.truetype(str(font), size)
    width = int(rng.integers(size + 40, size * 3 + 60))
    height = int(rng.integers(size + 40, size * 3))
    paper = int(rng.uniform(220, 255))
    image = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((0, 0), str(label), font=face)
    x = int(rng.integers(0, max(1, width - (right - left)))) - left
    y = int(rng.integers(0, max(1, height - (bottom - top)))) - top
    draw.text((x, y), str(label), fill=int(rng.uniform(0, 70)), font=face)
    if tilt:
        image = image.rotate(tilt, resample=Image.Resampling.BILINEAR, fillcolor=paper)
    return image


def printed_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return n printed digits in TRAIN_FONTS as uint8 (n, 28, 28) after to_mnist, and labels."""
    rng = np.random.default_rng(seed)
    fonts = [font_dir() / name for name in TRAIN_FONTS]
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    for i, label in enumerate(labels):
        font = fonts[int(rng.integers(len(fonts)))]
        page = render_printed(int(label), font, int(rng.integers(24, 160)), rng, rng.uniform(-6, 6))
        images[i] = normalise.to_mnist(page)
    return images, labels
