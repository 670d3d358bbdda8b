"""The sets the guard judges by, prepared once and scored for any number of models.

- MNIST test as served: every test digit (or the first ``mnist_count``) through to_mnist, as the
  model card measures it (a digit to_mnist refuses stays blank and counts wrong);
- each realistic kind of bench/realistic.py, ``realistic_count`` inputs drawn with the bench's
  seed and decoded through serving's decode_image and to_mnist, as model.train measures them;
- the held-out labelled images, through the same path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digits.classifier.inference import Model
from model import augment, evaluate, mnist
from model.guard import Scores


@dataclass(frozen=True)
class EvaluationSets:
    """Preprocessed images and labels of every set the guard compares on."""

    mnist_raw: np.ndarray
    mnist_served: np.ndarray
    mnist_labels: np.ndarray
    held_out: np.ndarray
    held_out_labels: np.ndarray
    realistic: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    realistic_seed: int | None = None


def prepare(
    data: mnist.Mnist,
    held_out: np.ndarray,
    held_out_labels: np.ndarray,
    mnist_count: int | None,
    realistic_count: int,
    jobs: int,
) -> EvaluationSets:
    """Preprocess every evaluation set once."""
    raw = data.test_images[:mnist_count] if mnist_count else data.test_images
    labels = data.test_labels[: len(raw)]
    served, _ = augment.served_or_blank(raw, jobs)
    realistic, seed = {}, None
    if realistic_count:
        from bench import realistic as kinds  # renders with fonts from a dev dependency

        seed = kinds.BENCH_SEED
        for name, generate in kinds.KINDS.items():
            samples = generate(realistic_count, seed)
            realistic[name] = (
                kinds.preprocess(samples),
                np.array([sample.label for sample in samples]),
            )
    return EvaluationSets(
        mnist_raw=raw,
        mnist_served=served,
        mnist_labels=labels,
        held_out=held_out,
        held_out_labels=held_out_labels,
        realistic=realistic,
        realistic_seed=seed,
    )


def accuracy(model: Model, images: np.ndarray, labels: np.ndarray) -> float:
    """Return the fraction of ``images`` the model reads as ``labels`` (0 for no images)."""
    if not len(images):
        return 0.0
    return float(np.mean(model.predict_proba(images).argmax(axis=1) == labels))


def scores(model: Model, sets: EvaluationSets) -> Scores:
    """Return the guard's figures for ``model``."""
    return Scores(
        version=model.version,
        held_out=accuracy(model, sets.held_out, sets.held_out_labels),
        mnist=accuracy(model, sets.mnist_served, sets.mnist_labels),
        realistic={
            name: accuracy(model, images, labels)
            for name, (images, labels) in sets.realistic.items()
        },
    )


def card_figures(model: Model, sets: EvaluationSets) -> dict:
    """Return the figures model/metrics.json keeps for the card (as model.train writes them)."""
    figures = {
        "test": evaluate.summary(model.predict_proba(sets.mnist_raw), sets.mnist_labels),
        "test_served": evaluate.summary(model.predict_proba(sets.mnist_served), sets.mnist_labels),
    }
    if sets.realistic:
        figures["realistic_seed"] = sets.realistic_seed
        figures["realistic"] = {
            name: accuracy(model, images, labels)
            for name, (images, labels) in sets.realistic.items()
        }
    return figures
