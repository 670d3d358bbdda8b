"""Training-set augmentations: extra copies of MNIST digits that serving inputs resemble."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Plan = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

ONE_PIXEL_SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def shift(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Move images (n, 28, 28) by whole pixels, filling the uncovered edge with background."""
    out = np.zeros_like(images)
    src_r = slice(max(0, -rows), images.shape[1] - max(0, rows))
    dst_r = slice(max(0, rows), images.shape[1] - max(0, -rows))
    src_c = slice(max(0, -cols), images.shape[2] - max(0, cols))
    dst_c = slice(max(0, cols), images.shape[2] - max(0, -cols))
    out[:, dst_r, dst_c] = images[:, src_r, src_c]
    return out


def no_augmentation(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Train on MNIST as published."""
    return images, labels


def one_pixel_shifts(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add four copies moved one pixel up, down, left and right (centring is never exact)."""
    copies = [images] + [shift(images, r, c) for r, c in ONE_PIXEL_SHIFTS]
    return np.concatenate(copies), np.tile(labels, len(copies))


PRINTED_DIGITS = 6000


def with_printed_digits(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add digits printed in fonts (model.printed), which handwriting alone does not teach."""
    from model.printed import printed_digits  # renders with fonts from a dev dependency

    printed, printed_labels = printed_digits(PRINTED_DIGITS, seed=0)
    return np.concatenate([images, printed]), np.concatenate([labels, printed_labels])


PEN_COPIES = 4000


def with_printed_and_pens(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add printed digits and thin- and thick-pen redrawings of MNIST digits (model.redrawn)."""
    from model.redrawn import redrawn_digits  # uses SciPy, a training-only dependency

    with_printed, with_printed_labels = with_printed_digits(images, labels)
    rng = np.random.default_rng(0)
    parts, part_labels = [with_printed], [with_printed_labels]
    for seed, pen in enumerate(("thin", "thick"), start=1):
        chosen = rng.choice(len(images), min(PEN_COPIES, len(images)), replace=False)
        redrawn, redrawn_labels = redrawn_digits(images[chosen], labels[chosen], pen, seed=seed)
        parts.append(redrawn)
        part_labels.append(redrawn_labels)
    return np.concatenate(parts), np.concatenate(part_labels)


PLANS: dict[str, Plan] = {
    "none": no_augmentation,
    "shift1": one_pixel_shifts,
    "printed": with_printed_digits,
    "printed+pens": with_printed_and_pens,
}
