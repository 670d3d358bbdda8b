"""MNIST-like digits drawn from a few stroke templates, for tests that need no data set."""

from __future__ import annotations

import numpy as np
from PIL import Image

from model.pen import draw_strokes

# Stroke paths, in a 60-pixel box, of a few digit-like shapes: a 0, a 7, a 2, a 4 and a 3.
TEMPLATES = (
    [[(30, 0), (5, 15), (5, 45), (30, 60), (55, 45), (55, 15), (30, 0)]],
    [[(5, 0), (55, 0), (25, 60)]],
    [[(5, 15), (30, 0), (55, 15), (5, 60), (55, 60)]],
    [[(35, 0), (5, 40), (55, 40)], [(40, 20), (40, 60)]],
    [[(5, 5), (50, 10), (25, 30), (55, 45), (5, 58)]],
)


def synthetic_digits(count: int = 120, seed: int = 0) -> np.ndarray:
    """Return uint8 (count, 28, 28) MNIST-like images: the TEMPLATES, jittered, in 20x20."""
    rng = np.random.default_rng(seed)
    out = np.zeros((count, 28, 28), dtype=np.uint8)
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        strokes = [np.array(s, dtype=float) + rng.normal(0, 3, (len(s), 2)) for s in template]
        crop = draw_strokes(strokes, 8)
        scale = 20 / max(crop.shape)
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        small = Image.fromarray(np.uint8(crop * 255)).resize(size, Image.Resampling.BILINEAR)
        top, left = (28 - size[1]) // 2, (28 - size[0]) // 2
        out[i, top : top + size[1], left : left + size[0]] = np.asarray(small)
    return out
