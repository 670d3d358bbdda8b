"""The sets the guard judges by, prepared once and scored for any number of models.

- MNIST test as served: every test digit (or the first ``mnist_count``) through to_mnist, as the
  model card measures it (a digit to_mnist refuses stays blank and counts wrong);
- each realistic kind of bench/realistic.py, ``realistic_count`` inputs drawn with the bench's
  seed and decoded through serving's decode_image and to_mnist, as model.train measures them;
- the held-out labelled images, through the same path;
- numbers (bench/numbers.py), not-digits (bench/not_digits.py) and lines that hold junk
  (bench/junk_in_lines.py) of the tuning split, encoded as sent and read by the function's own
  path (bench/reading.py), ``numbers_count`` per kind of gap and format and ``refusals_count``
  per kind and set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from digits.classifier.inference import Model
from model import augment, evaluate, mnist
from model.guard import Scores

if TYPE_CHECKING:
    from bench.junk_in_lines import Lines

# The guard judges on the bench's tuning split: the reporting split stays unseen (bench/heldout.py).
TUNING = "tune"


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
    numbers: list = field(default_factory=list)  # bench.number_lines.NumberSample
    refusals: dict[str, list[bytes]] = field(default_factory=dict)
    lines: Lines | None = None


def prepare(
    data: mnist.Mnist,
    held_out: np.ndarray,
    held_out_labels: np.ndarray,
    mnist_count: int | None,
    realistic_count: int,
    jobs: int,
    numbers_count: int = 0,
    refusals_count: int = 0,
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
    numbers, refusals, lines = [], {}, None
    if numbers_count:
        from bench.number_lines import number_samples  # renders with fonts from a dev dependency

        numbers = number_samples(numbers_count, TUNING)
    if refusals_count:
        from bench import junk_in_lines
        from bench.not_digits import KINDS, refusal_set

        refusals = {kind: refusal_set(kind, refusals_count, TUNING) for kind in KINDS}
        lines = junk_in_lines.draw(refusals_count, TUNING)
    return EvaluationSets(
        mnist_raw=raw,
        mnist_served=served,
        mnist_labels=labels,
        held_out=held_out,
        held_out_labels=held_out_labels,
        realistic=realistic,
        realistic_seed=seed,
        numbers=numbers,
        refusals=refusals,
        lines=lines,
    )


def accuracy(model: Model, images: np.ndarray, labels: np.ndarray) -> float:
    """Return the fraction of ``images`` the model reads as ``labels`` (0 for no images)."""
    if not len(images):
        return 0.0
    return float(np.mean(model.predict_proba(images).argmax(axis=1) == labels))


def number_accuracy(model: Model, numbers: list) -> dict[str, float]:
    """Return, per kind of gap, the share of numbers the function reads exactly."""
    from bench.reading import read_number

    right: dict[str, list[bool]] = {}
    for sample in numbers:
        right.setdefault(sample.gap, []).append(read_number(model, sample.data) == sample.number)
    return {gap: float(np.mean(hits)) for gap, hits in right.items()}


def refused_shares(model: Model, refusals: dict[str, list[bytes]]) -> dict[str, float]:
    """Return, per kind of not-digit, the share refused or read with under half confidence."""
    from bench.not_digits import accepts
    from bench.reading import read

    shares = {}
    for kind, images in refusals.items():
        readings = [read(model, data) for data in images]
        accepted = [accepts(r) for r in readings]
        shares[kind] = float(1 - np.mean(accepted))
    return shares


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
        numbers=number_accuracy(model, sets.numbers),
        refusals=refused_shares(model, sets.refusals),
        in_lines=in_lines(model, sets.lines),
    )


def in_lines(model: Model, lines: Lines | None) -> dict[str, float]:
    """Return the shares of words turned away and of numbers with a letter read as their digits."""
    if lines is None:
        return {}
    from bench import junk_in_lines

    shares = junk_in_lines.shares(model, lines)
    return {
        "words turned away": shares["words_refused_or_unsure"],
        "numbers with a letter read as their digits": shares["with_a_letter_exact"],
    }


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
