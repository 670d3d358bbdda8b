"""Accuracy of each side on MNIST's test set and on realistic inputs (bench/realistic.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

import numpy as np

from bench import realistic
from bench.servers import Variant
from digits.config import Settings
from digits.errors import RequestError
from digits.imaging.decoding import decode_image
from model import mnist


def served_images(samples: list[realistic.Sample], preprocess: Callable) -> np.ndarray:
    """Decode and preprocess samples as the server does; a refused input counts as wrong (blank)."""
    max_pixels = Settings.from_env().max_pixels
    images = np.zeros((len(samples), 28, 28), dtype=np.uint8)
    for i, sample in enumerate(samples):
        with contextlib.suppress(RequestError):
            images[i] = preprocess(decode_image(sample.data, max_pixels=max_pixels).image)
    return images


def measure_accuracy(models: dict, all_variants: list[Variant], n: int, seed: int) -> dict:
    """Return accuracy on MNIST test and on each realistic kind, for every variant."""
    data = mnist.load(os.environ.get("MNIST_DIR") or None)
    result: dict[str, dict[str, float]] = {v.name: {} for v in all_variants}
    for variant in all_variants:
        predicted = models[variant.name].predict_proba(data.test_images).argmax(axis=1)
        result[variant.name]["mnist_test"] = float(np.mean(predicted == data.test_labels))
    for kind, generate in realistic.KINDS.items():
        samples = generate(n, seed)
        labels = np.array([s.label for s in samples])
        for variant in all_variants:
            images = served_images(samples, variant.preprocess)
            predicted = models[variant.name].predict_proba(images).argmax(axis=1)
            result[variant.name][kind] = float(np.mean(predicted == labels))
        print(f"  {kind:<18} " + "  ".join(f"{v}: {a[kind]:.1%}" for v, a in result.items()))
    return result
