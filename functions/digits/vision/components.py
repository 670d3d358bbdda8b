"""Connected components of ink: labelling them, and dropping specks beside the digit."""

from __future__ import annotations

import numpy as np

from digits.errors import NothingDrawn
from digits.vision.blocks import block_any

# Components are labelled on a copy reduced to this side (specks only need to be found).
COMPONENT_SIDE = 64


def drop_specks(ink: np.ndarray) -> np.ndarray:
    """Zero ink outside the digit: components much smaller than the largest are noise."""
    height, width = ink.shape
    step = max(1, -(-max(height, width) // COMPONENT_SIDE))
    mask = ink > 0
    if step > 1:
        padded = np.zeros((-(-height // step) * step, -(-width // step) * step), dtype=bool)
        padded[:height, :width] = mask
        mask = block_any(padded, step, step)
    labels = label_components(mask)
    if labels.max() < 0:
        raise NothingDrawn("no digit found: the image is blank")
    # A single component is the digit: nothing to drop.
    cleaned = ink if labels.max() == 0 else _keep_heavy(ink, labels, step)
    if float(cleaned.max()) < 0.5 or int(np.count_nonzero(cleaned > 0.5)) < 3:
        raise NothingDrawn("no digit found: only specks")
    return cleaned


def _keep_heavy(ink: np.ndarray, labels: np.ndarray, step: int) -> np.ndarray:
    """Zero the ink of components with under 5% of the heaviest one's mass."""
    height, width = ink.shape
    small = ink
    if step > 1:
        padded = np.zeros((labels.shape[0] * step, labels.shape[1] * step), dtype=np.float32)
        padded[:height, :width] = ink
        small = padded.reshape(labels.shape[0], step, labels.shape[1], step).sum(axis=(1, 3))
    found = labels >= 0
    mass = np.bincount(labels[found], weights=small[found])
    kept = mass >= 0.05 * mass.max()
    keep = np.zeros(labels.shape, dtype=bool)
    keep[found] = kept[labels[found]]
    if step > 1:
        keep = np.repeat(np.repeat(keep, step, axis=0), step, axis=1)[:height, :width]
    return np.where(keep, ink, 0)


def label_components(mask: np.ndarray) -> np.ndarray:
    """Label 8-connected components of ``mask``: compact labels, -1 for background.

    Labels are numbered in the raster order of each component's first pixel.
    """
    height, width = mask.shape
    labels = np.full((height, width), -1, dtype=np.int64)
    # Runs of ink along the rows, in raster order: the union-find runs over them, not the pixels.
    # Each row of ``edges`` holds its runs' starts and ends (one past the last pixel), alternating;
    # a run's position in the flattened edges is its key, so keys sort by row, then by column.
    padded = np.zeros((height, width + 2), dtype=bool)
    padded[:, 1:-1] = mask
    edges = padded[:, 1:] != padded[:, :-1]
    keys = np.flatnonzero(edges)
    if not keys.size:
        return labels
    start_keys, end_keys = keys[0::2], keys[1::2]
    # The runs of the row above that touch a run, diagonally too: they end at or after its start
    # and start at or before its end. Both bounds are searched among all runs sorted by row.
    above = width + 1  # one row of edges
    first = np.searchsorted(end_keys, start_keys - above, side="left")
    touching = np.maximum(np.searchsorted(start_keys, end_keys - above, side="right") - first, 0)
    below = np.repeat(np.arange(start_keys.size), touching)
    offsets = np.arange(below.size) - np.repeat(np.cumsum(touching) - touching, touching)
    upper = np.repeat(first, touching) + offsets
    parent = np.arange(start_keys.size)
    # Vectorised union-find: hook the larger root under the smaller, then jump pointers.
    while True:
        root_a, root_b = parent[upper], parent[below]
        differ = root_a != root_b
        if not differ.any():
            break
        low = np.minimum(root_a[differ], root_b[differ])
        high = np.maximum(root_a[differ], root_b[differ])
        np.minimum.at(parent, high, low)
        while True:
            jumped = parent[parent]
            if (jumped == parent).all():
                break
            parent = jumped
    # Every run now points at its component's root, the component's first run: numbering the
    # roots in order numbers the components in raster order.
    roots = parent == np.arange(parent.size)
    compact = np.cumsum(roots)[parent] - 1
    labels[mask] = np.repeat(compact, end_keys - start_keys)
    return labels
