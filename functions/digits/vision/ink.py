"""Separate a digit's ink from its background, whatever the polarity, lighting or transparency."""

from __future__ import annotations

import numpy as np
from PIL import Image

from digits.errors import NothingDrawn
from digits.vision.blocks import block_mean
from digits.vision.components import drop_specks

# The smooth background is fitted to block means on a grid at most this many cells per side.
BACKGROUND_CELLS = 24


def digit_ink(image: Image.Image) -> np.ndarray:
    """Return the ink strength in [0, 1] of an L, RGB, RGBA or La image, specks removed."""
    return drop_specks(ink_strength(luminance(image)))


def luminance(image: Image.Image) -> np.ndarray:
    """Return luminance in [0, 1]; transparent areas take a colour contrasting with the strokes."""
    pixels = np.asarray(image, dtype=np.float32) / 255
    if image.mode == "L":
        return pixels
    if image.mode == "RGB":
        return pixels @ np.float32([0.299, 0.587, 0.114])
    if image.mode == "La":
        grey, alpha = pixels[..., 0], pixels[..., 1]  # grey premultiplied already
    else:
        grey, alpha = pixels[..., :3] @ np.float32([0.299, 0.587, 0.114]), pixels[..., 3]
        grey *= alpha  # premultiply RGBA
    opacity = float(alpha.sum())
    if opacity < 1:
        raise NothingDrawn("the image is fully transparent")
    # Canvas exports store strokes as opaque pixels on a transparent background whose stored
    # colour is often black; compositing onto a colour opposite to the strokes keeps them visible.
    stroke_tone = float(grey.sum()) / opacity
    backdrop = 1.0 if stroke_tone < 0.5 else 0.0
    return grey + backdrop * (1 - alpha)


def ink_strength(luminance: np.ndarray) -> np.ndarray:
    """Return ink strength in [0, 1]: deviation from a fitted background, on the ink's side."""
    background = _background(luminance)
    residual = luminance - background
    # Noise is measured on the image's frame, which is background even when a bold digit
    # cropped tightly covers most of the image.
    frame = _frame(residual)
    spread = quantile(np.abs(frame - quantile(frame, 0.5)), 0.5) * 1.4826
    noise = max(spread, 1 / 255)
    darker = np.maximum(-residual - 3 * noise, 0).sum()
    lighter = np.maximum(residual - 3 * noise, 0).sum()
    signal = -residual if darker > lighter else residual
    candidates = signal[signal > max(5 * noise, 0.05)]
    if candidates.size < 4:
        raise NothingDrawn("no digit found: the image is blank")
    level = quantile(candidates, 0.9)
    if level < max(8 * noise, 0.08):
        raise NothingDrawn("no digit found: the image has too little contrast")
    floor = min(max(4 * noise, 0.05 * level), 0.5 * level)
    strength = (signal - floor) / (level - floor)
    np.clip(strength, 0, 1, out=strength)
    return strength.astype(np.float32, copy=False)


def _background(luminance: np.ndarray) -> np.ndarray:
    """Fit a smooth quadratic surface to the background, ignoring ink as outliers."""
    height, width = luminance.shape
    grid = luminance
    # Block means on a grid of at most BACKGROUND_CELLS cells per side (six coefficients need no
    # more); each axis has its own step so that a long thin image still keeps a cell across.
    step_y, step_x = -(-height // BACKGROUND_CELLS), -(-width // BACKGROUND_CELLS)
    if step_y > 1 or step_x > 1:
        grid = block_mean(
            luminance[: height - height % step_y, : width - width % step_x], step_y, step_x
        )
    # Start from the level of the frame, not of the whole image, so that ink covering most of
    # a tight crop cannot pass for the background.
    frame = _frame(grid)
    start = quantile(frame, 0.5)
    if float(frame.min()) == float(frame.max()):
        # A frame without the least variation is a digital drawing's plain background.
        return np.full(luminance.shape, start, dtype=np.float32)
    gy, gx = np.mgrid[: grid.shape[0], : grid.shape[1]]
    ys = (gy.ravel() + 0.5) * step_y / height - 0.5
    xs = (gx.ravel() + 0.5) * step_x / width - 0.5
    design = np.stack([np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys], axis=1)
    values = grid.ravel().astype(np.float64)
    spread = 1.4826 * quantile(np.abs(frame - start), 0.5)
    keep = np.abs(values - start) <= max(2.5 * spread, 1 / 255)
    coefficients = np.zeros(6)
    coefficients[0] = start
    for _ in range(4):
        if keep.sum() < 12:
            break
        kept = design[keep]
        # Normal equations: a 6x6 solve, far cheaper than a general least-squares call.
        coefficients = np.linalg.solve(kept.T @ kept + 1e-9 * np.eye(6), kept.T @ values[keep])
        residual = values - design @ coefficients
        spread = 1.4826 * quantile(np.abs(residual[keep]), 0.5)
        keep = np.abs(residual) <= max(3 * spread, 2 / 255)
    y = (np.arange(height) + 0.5) / height - 0.5
    x = (np.arange(width) + 0.5) / width - 0.5
    c = coefficients
    surface = (
        c[0]
        + c[1] * x[None, :]
        + c[2] * y[:, None]
        + c[3] * (x * x)[None, :]
        + c[4] * (y[:, None] * x[None, :])
        + c[5] * (y * y)[:, None]
    )
    return surface.astype(np.float32)


def quantile(values: np.ndarray, q: float) -> float:
    """Return the ``q`` quantile of ``values``, interpolated linearly as np.quantile does.

    np.median and np.percentile import numpy.ma on first use (a cost on every cold start), and cost
    several times this one partition per call.
    """
    flat = values.ravel()
    position = q * (flat.size - 1)
    low = int(position)
    high = min(low + 1, flat.size - 1)
    parts = np.partition(flat, (low, high))
    return float(parts[low]) + (float(parts[high]) - float(parts[low])) * (position - low)


def _frame(values: np.ndarray) -> np.ndarray:
    """Return the values in the outer band of an image (about 3% of each side, at least 1 px)."""
    height, width = values.shape
    band_y, band_x = max(1, height // 32), max(1, width // 32)
    band = np.ones(values.shape, dtype=bool)
    band[band_y : height - band_y, band_x : width - band_x] = False
    return values[band]
