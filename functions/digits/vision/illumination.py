"""Even out the light on a photographed page: ink is what is darker than the paper around it.

The paper's brightness is estimated twice. Coarsely, on a grid of cells, LIGHT_CELLS along the
image's longer side: each cell's bright end (its LIGHT_QUANTILE: the paper, since ink covers
little of a cell), then a grey closing over CLOSE_CELLS cells either way, which fills the cells a
thick stroke covers entirely and keeps the shape of shadows and fall-off wider than that (a
closing leaves a smooth ramp as it is), then a light smoothing; bilinear interpolation brings it
to every pixel. Finely, as the mean of the paper's own pixels within FINE_REACH of each pixel,
leaving out what is ink, first clearly (ROUGH_INK), then to the noise (ROUGH_NOISE): a shadow's
edge, sharper than a cell, is followed to a few pixels. Where too little paper is that near
(inside a thick stroke), the coarse estimate stands.

Ink is then the share of that brightness a pixel lacks: a shadow darkens paper and ink alike, so
it is no ink, and faint ink in a bright corner is as dark, relative to its paper, as anywhere.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digits.vision.ink import quantile
from digits.vision.windows import square_max, square_min

# The paper's brightness is estimated on cells of 1/LIGHT_CELLS of the image's longer side.
LIGHT_CELLS = 128
# A cell's paper is its LIGHT_QUANTILE brightest value: above the ink, below a noise spike.
LIGHT_QUANTILE = 0.9
# The closing spans CLOSE_CELLS cells either side (about a tenth of the image across): more than
# the widest marker stroke of a large digit, less than a shadow's soft edge is long.
CLOSE_CELLS = 6
# Light is estimated on a copy reduced to at most LIGHT_SIDE pixels per side.
LIGHT_SIDE = 512
# The fine estimate averages the paper FINE_REACH pixels (of that copy) either way, in two
# rounds: leaving out pixels ROUGH_INK darker than the coarse estimate (clearly ink, and more
# than the coarse estimate errs by), then pixels darker than the first round's estimate by
# ROUGH_NOISE times the noise (at least ROUGH_FLOOR): a faint stroke left in would darken its
# own paper and fade. Each round stands where at least FINE_SHARE of the pixels are paper.
FINE_REACH = 3
ROUGH_INK = 0.15
ROUGH_NOISE = 3.0
ROUGH_FLOOR = 0.04
FINE_SHARE = 0.1
# Pixels sampled (at most) to measure the paper's level and noise.
SAMPLES = 100_000
# The noise is also measured where it is, on cells of 1/NOISE_CELLS of the image's longer side: a
# shadow is noisier than the lit paper, a desk's grain than either.
NOISE_CELLS = 24


def paper_light(luminance: np.ndarray, inside: np.ndarray | None = None) -> np.ndarray:
    """Return the paper's brightness at every pixel of ``luminance`` (values in [0, 1]).

    Only pixels where ``inside`` is true (the sheet) are paper; the others take their light
    from the nearest cells of paper. Light is smooth: it is estimated on a copy reduced to at
    most LIGHT_SIDE pixels per side and enlarged again.
    """
    height, width = luminance.shape
    factor = -(-max(height, width) // LIGHT_SIDE)
    small = luminance
    region = None if inside is None else inside.astype(np.float32)
    if factor > 1:
        small = np.asarray(Image.fromarray(luminance, "F").reduce(factor))
        if region is not None:
            region = np.asarray(Image.fromarray(region, "F").reduce(factor))
    paper_region = None if region is None else region >= 0.5
    coarse = _coarse(small, paper_region)
    _, noise = darkness(small, coarse, paper_region)
    light = coarse
    # First only what is clearly ink is left out, which the coarse estimate shows even where it
    # errs (at a shadow's sharp edge); then all that is darker than the noise allows.
    for rough in (ROUGH_INK, max(ROUGH_NOISE * noise, ROUGH_FLOOR)):
        paper = small >= (1 - rough) * light
        if paper_region is not None:
            paper &= paper_region
        weight = _box_mean(paper.astype(np.float32), FINE_REACH)
        fine = _box_mean(np.where(paper, small, 0), FINE_REACH) / np.maximum(weight, 1e-6)
        light = np.where(weight >= FINE_SHARE, fine, light).astype(np.float32)
    if factor == 1:
        return light
    image = Image.fromarray(light, "F").resize(
        (light.shape[1] * factor, light.shape[0] * factor), Image.Resampling.BILINEAR
    )
    return np.asarray(image, dtype=np.float32)[:height, :width]


def darkness(
    luminance: np.ndarray, light: np.ndarray, inside: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Return how much darker than its paper each pixel is (0: paper, 1: black), and the noise.

    The paper's own level is brought to 0 (the estimate of the light sits a little above it),
    and the noise is the robust spread of the paper's pixels (those ``inside``, if any are).
    """
    dark = 1 - luminance / np.maximum(light, 1 / 255)
    sample = dark[inside] if inside is not None and inside.any() else dark.ravel()
    step = max(1, sample.size // SAMPLES)
    sample = sample[::step]
    level = quantile(sample, 0.5)
    spread = 1.4826 * quantile(np.abs(sample - level), 0.5)
    dark -= level
    return dark.astype(np.float32), max(spread, 1 / 255)


def local_noise(dark: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Return the noise of a darkness map where each pixel is, 0 where it is not paper.

    The robust spread of each cell of 1/NOISE_CELLS of the longer side, where at least half the
    cell is ``inside`` (the sheet); then the median of each cell's 3x3 neighbourhood (writing that
    covers a cell does not raise it), enlarged bilinearly.
    """
    height, width = dark.shape
    cells, block, pad = _cells(dark, NOISE_CELLS)
    rows, columns = cells.shape[:2]
    middle = block * block // 2
    centre = np.partition(cells, middle, axis=2)[:, :, middle]
    deviation = np.abs(cells - centre[..., None])
    spread = 1.4826 * np.partition(deviation, middle, axis=2)[:, :, middle]
    spread = np.where(_share(inside, block, pad) >= 0.5, spread, 0).astype(np.float32)
    padded = np.pad(spread, 1, mode="edge")
    around = np.stack(
        [padded[dy : dy + rows, dx : dx + columns] for dy in range(3) for dx in range(3)]
    )
    spread = np.partition(around, 4, axis=0)[4]
    image = Image.fromarray(spread, "F").resize(
        (columns * block, rows * block), Image.Resampling.BILINEAR
    )
    return np.asarray(image, dtype=np.float32)[:height, :width]


def _coarse(luminance: np.ndarray, inside: np.ndarray | None) -> np.ndarray:
    """Return the coarse estimate: cells' bright ends, closed, smoothed and interpolated."""
    height, width = luminance.shape
    cells, block, pad = _cells(luminance, LIGHT_CELLS)
    rows, columns = cells.shape[:2]
    rank = int(LIGHT_QUANTILE * (block * block - 1))
    light = np.partition(cells, rank, axis=2)[:, :, rank]
    known = np.ones((rows, columns), dtype=bool)
    if inside is not None:
        known = _share(inside, block, pad) >= 0.5
        if not known.any():
            known[:] = True
    light = _close(light, known)
    image = Image.fromarray(light.astype(np.float32), "F")
    full = image.resize((columns * block, rows * block), Image.Resampling.BILINEAR)
    return np.asarray(full, dtype=np.float32)[:height, :width]


def _cells(values: np.ndarray, count: int) -> tuple[np.ndarray, int, tuple]:
    """Split ``values`` into square cells, ``count`` along the longer side, the last row and
    column of cells filled out by repeating the edge: (rows, columns, pixels) of cells, the
    cell's side, and the padding added (as np.pad takes it)."""
    height, width = values.shape
    block = max(1, -(-max(height, width) // count))
    rows, columns = -(-height // block), -(-width // block)
    pad = ((0, rows * block - height), (0, columns * block - width))
    cells = np.pad(values, pad, mode="edge").reshape(rows, block, columns, block)
    return cells.transpose(0, 2, 1, 3).reshape(rows, columns, block * block), block, pad


def _share(mask: np.ndarray, block: int, pad: tuple) -> np.ndarray:
    """Return the share of each cell (of ``_cells``' ``block`` and ``pad``) where ``mask`` holds."""
    padded = np.pad(mask, pad)
    rows, columns = padded.shape[0] // block, padded.shape[1] // block
    return padded.reshape(rows, block, columns, block).mean(axis=(1, 3))


def _box_mean(values: np.ndarray, reach: int) -> np.ndarray:
    """Return the mean of ``values`` over a square ``reach`` pixels either way, edges repeated."""
    span = 2 * reach + 1
    padded = np.pad(values.astype(np.float64), reach + 1, mode="edge")
    padded[0, :] = 0
    padded[:, 0] = 0
    total = padded.cumsum(axis=0).cumsum(axis=1)
    height, width = values.shape
    sums = (
        total[span : span + height, span : span + width]
        - total[:height, span : span + width]
        - total[span : span + height, :width]
        + total[:height, :width]
    )
    return sums / (span * span)


def _close(grid: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Grey closing of ``grid`` over known cells (dilate, then erode), then a 3x3 mean."""
    lowest = np.where(known, grid, -np.inf)
    dilated = square_max(lowest, CLOSE_CELLS, outside=-np.inf)
    highest = np.where(np.isfinite(dilated), dilated, np.inf)
    closed = square_min(highest, CLOSE_CELLS, outside=np.inf)
    if not np.isfinite(closed).all():
        # Cells farther than the closing from any paper take the paper's middle level.
        closed = np.where(np.isfinite(closed), closed, quantile(grid[known], 0.5))
    padded = np.pad(closed, 1, mode="edge")
    shifts = [
        padded[dy : dy + grid.shape[0], dx : dx + grid.shape[1]]
        for dy in range(3)
        for dx in range(3)
    ]
    return np.mean(shifts, axis=0)
