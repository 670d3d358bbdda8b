"""Whether an image passes for a handwritten digit: its distance to the nearest MNIST digit.

Rules about shape (model.fragments) catch bars and loops, but a 3 with its left third cut off, a
7 whose stem ran off the image, or a 1 with a speck of its neighbour are still digits to a reader.
A candidate is judged against real writing: it passes for a digit when it lies nearer to some
reference digit than most real digits, drawn the same way, lie to theirs. The threshold is that
distance's DIGIT_QUANTILE over real digits, so it is measured, not chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digits.errors import NothingDrawn
from digits.vision.normalise import crop_to_mnist
from model.fragments import redraw

# Images are compared at half resolution: a pixel's shift between two writers then costs little.
POOL = 2
REFERENCE_SIZE = 30000
CALIBRATION_SIZE = 600
# A candidate nearer to a reference digit than this share of real digits are passes for one.
DIGIT_QUANTILE = 0.97
BATCH = 1000


def features(images: np.ndarray) -> np.ndarray:
    """Return uint8 (n, 28, 28) images as float32 vectors, pooled POOL x POOL, in [0, 1]."""
    n = len(images)
    pooled = images.reshape(n, 28 // POOL, POOL, 28 // POOL, POOL).astype(np.float32)
    return pooled.mean(axis=(2, 4)).reshape(n, -1) / 255


@dataclass(frozen=True)
class DigitResemblance:
    """Reference digits and the distance under which an image passes for one of them."""

    reference: np.ndarray  # features of the reference digits
    threshold: float

    @classmethod
    def measure(cls, digits: np.ndarray, rng: np.random.Generator) -> DigitResemblance:
        """Take reference digits from uint8 (n, 28, 28) ``digits``; calibrate on others, redrawn.

        The calibration digits are redrawn with model.redrawn's pens at the sizes the fragments
        use and passed through crop_to_mnist, as every candidate is.
        """
        order = rng.permutation(len(digits))
        calibrate = min(CALIBRATION_SIZE, len(digits) // 4)
        chosen, others = order[calibrate:][:REFERENCE_SIZE], order[:calibrate]
        # MNIST's digits are already what crop_to_mnist makes: 20x20, centred by mass.
        reference = features(digits[chosen])
        redrawn = []
        for digit in digits[others]:
            try:
                redrawn.append(crop_to_mnist(redraw(digit, rng)))
            except NothingDrawn:
                continue
        distances = nearest_distances(features(np.stack(redrawn)), reference)
        return cls(reference, float(np.quantile(distances, DIGIT_QUANTILE)))

    def passes_for_a_digit(self, images: np.ndarray) -> np.ndarray:
        """Tell, for each uint8 (n, 28, 28) image, whether it lies among real digits."""
        return nearest_distances(features(images), self.reference) < self.threshold


def nearest_distances(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Return each query vector's Euclidean distance to its nearest reference vector."""
    squared_reference = (reference**2).sum(axis=1)
    out = np.empty(len(queries), dtype=np.float32)
    for start in range(0, len(queries), BATCH):
        batch = queries[start : start + BATCH]
        squared = (batch**2).sum(axis=1)[:, None] + squared_reference[None, :]
        squared -= 2 * batch @ reference.T
        out[start : start + BATCH] = np.sqrt(np.maximum(squared.min(axis=1), 0))
    return out
