"""The rows replayed beside the labelled images when fine-tuning: MNIST and the synthetic sets.

A network fine-tuned on new images alone forgets what it knew; replaying its own training data
keeps it (rehearsal). Every MNIST training digit is replayed as published (their features take
seconds); the synthetic sets, which take minutes to make, are replayed for a sample of ``count``
of them, made the way model.train builds the perceptron's training set: the printed digits and
the thin and thick pens of ``augment.PLANS[augment]``, plus the sample as served and elastically
distorted (``train.extra_mlp_images``). Replaying the whole of MNIST is what holds MNIST test
when thousands of labelled images of one new style pull the network (model/retrain.py). A model
that refuses what is not a digit replays that class too (``refusal``: model.refusal_data, in the
same proportion to ``count`` as model.train's defaults to MNIST), or fine-tuning would wear it away.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from digits.classifier import features
from model import augment, mnist, train
from model.refusal_data import refusal_training_set


def refusal_sizes(count: int, digits: int) -> tuple[int, int]:
    """Return the not-digit images and segmented lines replayed beside copies of ``count`` of
    ``digits`` training digits: model.train's defaults, in proportion."""
    share = count / digits
    return (
        round(train.DEFAULTS["not_digits"] * share),
        round(train.DEFAULTS["segmented_lines"] * share),
    )


def replay_images(
    data: mnist.Mnist,
    count: int,
    seed: int,
    plan: str,
    extra: str,
    jobs: int,
    refusal: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (28x28 images, labels): every MNIST training digit, copies of ``count``, and, with
    ``refusal``, the class "not a digit" and digits cut as the segmenter cuts them."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(data.train_images), count, replace=False))
    images, labels = data.train_images[chosen], data.train_labels[chosen]
    planned, planned_labels = augment.PLANS[plan](images, labels)
    # One distorted copy: a fine-tuning pass is short, so a copy an epoch would add little.
    served, distorted = train.extra_mlp_images(images, labels, extra, jobs)
    # The plans hold the chosen digits as published; the others join them here.
    others = np.setdiff1d(np.arange(len(data.train_images)), chosen)
    parts = [(planned, planned_labels), served, *distorted]
    parts.append((data.train_images[others], data.train_labels[others]))
    if refusal:
        drawn, lines = refusal_sizes(count, len(data.train_images))
        parts.append(
            refusal_training_set(data.train_images, data.train_labels, drawn, lines, seed, jobs)
        )
    return (
        np.concatenate([images for images, _ in parts]),
        np.concatenate([labels for _, labels in parts]).astype(np.int64),
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
    refusal: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Return uint8 features and labels of the replayed rows, from ``cache`` when it has them.

    The rows depend only on these arguments and MNIST, so one retrain's are kept for the next
    (keyed by a hash of them); ``cache=None`` always builds them.
    """
    name = repr(
        ("all of MNIST", count, seed, plan, extra, feature_set, refusal, sorted(data.md5.items()))
    )
    path = None
    if cache is not None:
        path = cache / f"replay-{hashlib.sha256(name.encode()).hexdigest()[:16]}.npz"
        if path.is_file():
            with np.load(path) as saved:
                return saved["x"], saved["y"]
    images, labels = replay_images(data, count, seed, plan, extra, jobs, refusal)
    x = features.extract(images, feature_set)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, x=x, y=labels)
        partial.replace(path)
    return x, labels
