"""Elastically distorted, rotated, scaled and sheared copies of MNIST digits (Simard et al., 2003).

A network learns from these the small deformations that separate one writer from another, which
MNIST's 60,000 digits alone show too rarely. Each copy is a random affine map (rotation, scale,
shear, shift) composed with a smooth random displacement field, sampled with linear interpolation.
Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SIZE = 28
CENTRE = (SIZE - 1) / 2
# Simard et al.'s elastic field: uniform displacements in [-1, 1] smoothed by a Gaussian of
# ELASTIC_SIGMA pixels and scaled by ELASTIC_ALPHA.
ELASTIC_SIGMA = 4.0
ELASTIC_ALPHA = 30.0
MAX_DEGREES = 12.0
SCALE = (0.9, 1.1)
MAX_SHEAR = 0.2
MAX_SHIFT = 1.5
BATCH = 2000


def distort(images: np.ndarray, seed: int) -> np.ndarray:
    """Return one distorted copy of each uint8 image (n, 28, 28), same shape and dtype."""
    rng = np.random.default_rng(seed)
    out = np.empty_like(images)
    for start in range(0, len(images), BATCH):
        batch = images[start : start + BATCH]
        out[start : start + BATCH] = _distort_batch(batch, rng)
    return out


def _distort_batch(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(images)
    row, col = np.mgrid[:SIZE, :SIZE].astype(np.float64) - CENTRE
    angle = np.deg2rad(rng.uniform(-MAX_DEGREES, MAX_DEGREES, n))[:, None, None]
    scale = rng.uniform(*SCALE, n)[:, None, None]
    shear = rng.uniform(-MAX_SHEAR, MAX_SHEAR, n)[:, None, None]
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    # Where each output pixel reads from: the inverse of rotate-and-scale, then a shear.
    source_row = cos * row - sin * col
    source_col = sin * row + cos * col + shear * row
    fields = rng.uniform(-1, 1, (2, n, SIZE, SIZE))
    sigma = (0, 0, ELASTIC_SIGMA, ELASTIC_SIGMA)
    smooth = ELASTIC_ALPHA * ndimage.gaussian_filter(fields, sigma, mode="constant")
    shift = rng.uniform(-MAX_SHIFT, MAX_SHIFT, (2, n))[:, :, None, None]
    coordinates = np.stack(
        [
            np.broadcast_to(np.arange(n)[:, None, None], (n, SIZE, SIZE)).astype(np.float64),
            source_row + CENTRE + smooth[0] + shift[0],
            source_col + CENTRE + smooth[1] + shift[1],
        ]
    )
    warped = ndimage.map_coordinates(images.astype(np.float32), coordinates, order=1, cval=0.0)
    return np.clip(np.rint(warped), 0, 255).astype(np.uint8)
