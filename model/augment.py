"""Training-set augmentations: extra copies of MNIST digits that serving inputs resemble."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

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


PEN_COPIES = 8000
BLOCKY_COPIES = 12000


def with_printed_and_pens(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add printed digits and thin- and thick-pen redrawings of MNIST digits (model.redrawn)."""
    return _with_copies(images, labels, blocky=0)


def with_printed_pens_and_blocky(
    images: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Add printed digits, thin- and thick-pen redrawings and blocky low-resolution copies of
    MNIST digits (model.redrawn, model.blocky)."""
    return _with_copies(images, labels, blocky=BLOCKY_COPIES)


def _with_copies(
    images: np.ndarray, labels: np.ndarray, blocky: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return MNIST with printed digits, both pens' redrawings and ``blocky`` blocky copies.

    The sets are drawn in separate processes, each from its own seed: the same images as
    drawing them one after the other.
    """
    from concurrent.futures import ProcessPoolExecutor

    from model.blocky import blocky_digits
    from model.printed import printed_digits  # renders with fonts from a dev dependency
    from model.redrawn import redrawn_digits  # uses SciPy, a training-only dependency

    rng = np.random.default_rng(0)
    with ProcessPoolExecutor(2) as pool:
        jobs = [pool.submit(printed_digits, PRINTED_DIGITS, 0)]
        for seed, pen in enumerate(("thin", "thick"), start=1):
            chosen = rng.choice(len(images), min(PEN_COPIES, len(images)), replace=False)
            jobs.append(pool.submit(redrawn_digits, images[chosen], labels[chosen], pen, seed))
        if blocky:
            chosen = rng.choice(len(images), min(blocky, len(images)), replace=False)
            jobs.append(pool.submit(blocky_digits, images[chosen], labels[chosen], 3))
        parts = [job.result() for job in jobs]
    return (
        np.concatenate([images] + [p[0] for p in parts]),
        np.concatenate([labels] + [p[1] for p in parts]),
    )


PLANS: dict[str, Plan] = {
    "none": no_augmentation,
    "shift1": one_pixel_shifts,
    "printed": with_printed_digits,
    "printed+pens": with_printed_and_pens,
    "printed+pens+blocky": with_printed_pens_and_blocky,
}


def served_pages(pages: Iterable[Image.Image], count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return to_mnist of each of ``count`` pages, uint8 (count, 28, 28), blank where it finds no
    digit, and which pages it accepted."""
    from digits.errors import NothingDrawn
    from digits.vision.normalise import to_mnist

    out = np.zeros((count, 28, 28), dtype=np.uint8)
    kept = np.ones(count, dtype=bool)
    for i, page in enumerate(pages):
        try:
            out[i] = to_mnist(page)
        except NothingDrawn:
            kept[i] = False
    return out, kept


def _served(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    return served_pages((Image.fromarray(image) for image in images), len(images))


def as_served(images: np.ndarray, labels: np.ndarray, jobs: int = 2) -> tuple[np.ndarray, ...]:
    """Pass 28x28 digits through the serving preprocessing (to_mnist), in ``jobs`` processes.

    What the function serves is never a raw MNIST array but to_mnist's re-cropped, re-centred,
    stroke-normalised image; training copies made this way show the network that distribution.
    Digits that to_mnist refuses are left out, labels too.
    """
    out, kept = served_or_blank(images, jobs)
    return out[kept], np.asarray(labels)[kept]


def served_or_blank(images: np.ndarray, jobs: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Return to_mnist of every digit (blank where refused) and which ones it accepted."""
    from concurrent.futures import ProcessPoolExecutor

    chunks = np.array_split(images, max(1, jobs) * 8)
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            parts = list(pool.map(_served, chunks))
    else:
        parts = [_served(chunk) for chunk in chunks]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def distorted_copies(
    images: np.ndarray, labels: np.ndarray, count: int, jobs: int = 2, seed: int = 1
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return ``count`` elastically distorted copies of the digits, each as served, with labels.

    Copy ``i`` is drawn from seed ``seed + i``; model.train's perceptron sees one an epoch, in
    turn (model.fit.fit_mlp), and make retrain's replay the first.
    """
    from model.distort import distort

    return [as_served(distort(images, seed + i), labels, jobs) for i in range(count)]
