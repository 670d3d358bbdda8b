"""Ink crops drawn with a pen: polylines with round ends, strokes retraced, shapes bent.

An ink crop is a float32 2-D array, ink 1 on background 0, antialiased and cropped to its ink:
what digits.vision finds in an image before ``crop_to_mnist`` turns it into a 28x28 image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from model import distort
from model.redrawn import skeleton

# Strokes are drawn this many times larger, then reduced: antialiased edges from a bilevel pen.
SUPERSAMPLE = 4
# Antialiasing fringes fainter than this are background when a crop is cut to its ink.
INK_FLOOR = 0.02


def crop_to_ink(mask: np.ndarray) -> np.ndarray:
    """Cut a mask to the bounds of its ink; an empty (0, 0) array if it holds none."""
    rows = np.flatnonzero((mask > INK_FLOOR).any(axis=1))
    cols = np.flatnonzero((mask > INK_FLOOR).any(axis=0))
    if not rows.size:
        return np.zeros((0, 0), dtype=np.float32)
    crop = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return np.clip(crop, 0, 1).astype(np.float32)


def draw_strokes(strokes: Sequence[np.ndarray], width: float) -> np.ndarray:
    """Draw polylines, each an (n, 2) array of (x, y) pixels, with a round pen; return the crop."""
    points = np.concatenate([np.asarray(s, dtype=np.float64) for s in strokes])
    margin = width + 2
    origin = points.min(axis=0) - margin
    size = np.ceil(points.max(axis=0) - origin + margin).astype(int)
    canvas = Image.new("L", tuple(int(v) * SUPERSAMPLE for v in size), 0)
    draw = ImageDraw.Draw(canvas)
    pen = max(1, round(width * SUPERSAMPLE))
    radius = pen / 2
    for stroke in strokes:
        scaled = (np.asarray(stroke, dtype=np.float64) - origin) * SUPERSAMPLE
        path = [tuple(p) for p in scaled]
        if len(path) > 1:
            draw.line(path, fill=255, width=pen, joint="curve")
        for x, y in (path[0], path[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    mask = np.asarray(canvas.reduce(SUPERSAMPLE), dtype=np.float32) / 255
    return crop_to_ink(mask)


def retrace(mask: np.ndarray, width: float) -> np.ndarray:
    """Redraw a shape's strokes along their centre lines with a round pen ``width`` pixels wide.

    Printed glyphs have thick and thin parts and serifs; a pen of one width makes them look
    written, as model.redrawn does for MNIST digits.
    """
    solid = np.pad(mask >= 0.5, int(width) + 2)
    if not solid.any():
        return np.zeros((0, 0), dtype=np.float32)
    line = ndimage.distance_transform_edt(~skeleton(solid)) <= max(width / 2, 0.5)
    return crop_to_ink(ndimage.gaussian_filter(line.astype(np.float32), 0.6))


def thicken(mask: np.ndarray, pixels: float) -> np.ndarray:
    """Grow the ink by ``pixels`` on every side (a broader pen along the same path)."""
    solid = np.pad(mask >= 0.5, int(pixels) + 2)
    grown = ndimage.distance_transform_edt(~solid) <= pixels
    return crop_to_ink(ndimage.gaussian_filter(grown.astype(np.float32), 0.7))


def enlarge(crop: np.ndarray, factor: float) -> np.ndarray:
    """Return an ink crop enlarged by ``factor`` (bilinear: the edges stay antialiased)."""
    size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
    image = Image.fromarray(crop.astype(np.float32)).resize(size, Image.Resampling.BILINEAR)
    return crop_to_ink(np.asarray(image, dtype=np.float32))


def bend(mask: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Return an ink crop rotated, sheared and elastically distorted as a writer's hand would.

    model.distort's Simard field, whose constants are for 28-pixel digits, scaled to the crop's
    size; ``strength`` scales the field and the affine part together.
    """
    side = max(mask.shape)
    pad = side // 4 + 2
    padded = np.pad(mask.astype(np.float32), pad)
    height, width = padded.shape
    scale = side / distort.SIZE
    row, col = np.mgrid[:height, :width].astype(np.float64)
    row -= (height - 1) / 2
    col -= (width - 1) / 2
    angle = np.deg2rad(rng.uniform(-distort.MAX_DEGREES, distort.MAX_DEGREES) * strength)
    shear = rng.uniform(-distort.MAX_SHEAR, distort.MAX_SHEAR) * strength
    cos, sin = np.cos(angle), np.sin(angle)
    source_row = cos * row - sin * col
    source_col = sin * row + cos * col + shear * row
    # model.distort's field on a grid of about 28 cells across the crop, enlarged to its pixels.
    cells = max(4, round(height / scale)), max(4, round(width / scale))
    field = rng.uniform(-1, 1, (2, *cells))
    sigma = (0, distort.ELASTIC_SIGMA, distort.ELASTIC_SIGMA)
    field = ndimage.gaussian_filter(field, sigma, mode="constant")
    field *= distort.ELASTIC_ALPHA * scale * strength
    field = np.stack([_resize(f, (width, height)) for f in field])
    coordinates = np.stack(
        [source_row + (height - 1) / 2 + field[0], source_col + (width - 1) / 2 + field[1]]
    )
    warped = ndimage.map_coordinates(padded, coordinates, order=1, cval=0.0)
    return crop_to_ink(warped)


def _resize(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    image = Image.fromarray(values.astype(np.float32))
    return np.asarray(image.resize(size, Image.Resampling.BILINEAR), dtype=np.float64)
