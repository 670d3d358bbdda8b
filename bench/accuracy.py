"""Accuracy of each side, per split: MNIST test as served and realistic inputs (bench/realistic.py).

For each split of bench/heldout.py: the MNIST test rows of that split, each passed through the
side's own preprocessing first (as served), and every realistic kind drawn from that split's rows,
fonts and seed; for our model also bench/single_digits.py's writers MNIST lacks (8x8, strokes).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

import numpy as np
from PIL import Image

from bench import heldout, realistic, single_digits
from bench.servers import Variant
from digits.config import Settings
from digits.errors import RequestError
from digits.imaging.decoding import decode_image
from model import mnist

# single_digits.py's kinds beyond realistic.py's, measured for our model only.
OUR_EXTRA_KINDS = tuple(kind for kind in single_digits.KINDS if kind not in realistic.KINDS)


def served_images(samples: list[realistic.Sample], preprocess: Callable) -> np.ndarray:
    """Decode and preprocess samples as the server does; a refused input counts as wrong (blank)."""
    max_pixels = Settings.from_env().max_pixels
    images = np.zeros((len(samples), 28, 28), dtype=np.uint8)
    for i, sample in enumerate(samples):
        with contextlib.suppress(RequestError):
            images[i] = preprocess(decode_image(sample.data, max_pixels=max_pixels).image)
    return images


def served_mnist(images: np.ndarray, preprocess: Callable) -> np.ndarray:
    """Pass 28x28 digits through ``preprocess``; a refused digit counts as wrong (blank)."""
    served = np.zeros_like(images)
    for i, image in enumerate(images):
        with contextlib.suppress(RequestError):
            served[i] = preprocess(Image.fromarray(image))
    return served


def _right(model, images: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(model.predict_proba(images).argmax(axis=1) == labels))


def measure_split(models: dict, all_variants: list[Variant], n: int, split: str) -> dict:
    """Return, for every variant, accuracy on one split's MNIST rows and realistic kinds."""
    side = heldout.split(split)
    data = mnist.load(os.environ.get("MNIST_DIR") or None)
    rows = data.test_images[side.mnist_rows], data.test_labels[side.mnist_rows]
    result: dict[str, dict[str, float]] = {v.name: {} for v in all_variants}
    for variant in all_variants:
        images = served_mnist(rows[0], variant.preprocess)
        result[variant.name]["mnist_test"] = _right(models[variant.name], images, rows[1])
    ours = next(v for v in all_variants if v.name == "digits")
    for kind, generate in single_digits.KINDS.items():
        samples = generate(n, side.seed, split)
        labels = np.array([s.label for s in samples])
        sides = [ours] if kind in OUR_EXTRA_KINDS else all_variants
        for variant in sides:
            images = served_images(samples, variant.preprocess)
            result[variant.name][kind] = _right(models[variant.name], images, labels)
        figures = "  ".join(f"{v.name}: {result[v.name][kind]:.1%}" for v in sides)
        print(f"  {split:<6} {kind:<18} {figures}")
    rows_measured = [side.mnist_rows.start, side.mnist_rows.stop]
    return {"n": n, "seed": side.seed, "mnist_rows": rows_measured, "by_side": result}


def measure_accuracy(models: dict, all_variants: list[Variant], n: int) -> dict:
    """Return ``measure_split`` for every split."""
    return {split: measure_split(models, all_variants, n, split) for split in heldout.SPLITS}
