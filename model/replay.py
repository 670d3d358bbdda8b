"""The rows replayed beside the labelled images when fine-tuning: MNIST and the synthetic sets.

A network fine-tuned on new images alone forgets what it knew; replaying a sample of its own
training data keeps it (rehearsal). The sample is drawn the way model.train builds the
perceptron's training set, at a smaller scale: MNIST training digits as published, with the
printed digits and the thin and thick pens of ``augment.PLANS[augment]``, plus the same digits
as served and elastically distorted (``train.extra_mlp_images``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from digits import features
from model import augment, mnist, train


def replay_images(
    data: mnist.Mnist, count: int, seed: int, plan: str, extra: str, jobs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return (28x28 images, labels) of ``count`` MNIST training digits and their copies."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(data.train_images), count, replace=False))
    images, labels = data.train_images[chosen], data.train_labels[chosen]
    planned, planned_labels = augment.PLANS[plan](images, labels)
    extra_images, extra_labels = train.extra_mlp_images(images, labels, extra, jobs)
    return (
        np.concatenate([planned, extra_images]),
        np.concatenate([planned_labels, extra_labels]).astype(np.int64),
    )


def replay_features(
    data: mnist.Mnist,
    count: int,
    seed: int,
    plan: str,
    extra: str,
    feature_set: str,
    jobs: int,
    cache: Path | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return uint8 features and labels of the replayed rows, from ``cache`` when it has them.

    The rows depend only on these arguments and MNIST, so one retrain's are kept for the next
    (keyed by a hash of them); ``cache=None`` always builds them.
    """
    name = repr((count, seed, plan, extra, feature_set, sorted(data.md5.items())))
    path = None
    if cache is not None:
        path = cache / f"replay-{hashlib.sha256(name.encode()).hexdigest()[:16]}.npz"
        if path.is_file():
            with np.load(path) as saved:
                return saved["x"], saved["y"]
    images, labels = replay_images(data, count, seed, plan, extra, jobs)
    x = features.extract(images, feature_set)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, x=x, y=labels)
        partial.replace(path)
    return x, labels
