"""Fit the two kinds of member with scikit-learn, printing progress as they go."""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from model import denormals


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[train] {message}", file=sys.stderr, flush=True)


def fit_forest(
    x: np.ndarray, y: np.ndarray, trees: int, max_features: str, seed: int, jobs: int
) -> RandomForestClassifier:
    """Fit the forest in steps of ten trees, reporting progress; same trees as one fit."""
    if max_features not in ("sqrt", "log2"):
        max_features = float(max_features) if "." in max_features else int(max_features)
    forest = RandomForestClassifier(
        n_estimators=0, max_features=max_features, random_state=seed, n_jobs=jobs, warm_start=True
    )
    started = time.perf_counter()
    for n_trees in range(min(10, trees), trees + 10, 10):
        forest.n_estimators = min(n_trees, trees)
        forest.fit(x, y)
        log(f"forest: trees {forest.n_estimators}/{trees}  {time.perf_counter() - started:.0f}s")
        if forest.n_estimators == trees:
            break
    return forest


def hidden_layers(text: str | int | tuple[int, ...]) -> tuple[int, ...]:
    """Return hidden layer sizes from "800,256" (or one size, or sizes already parsed)."""
    if isinstance(text, tuple):
        return text
    try:
        sizes = tuple(int(part) for part in str(text).split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise ValueError(f"hidden layer sizes must be positive whole numbers, not {text!r}")
    return sizes


def mlp_inputs(x: np.ndarray) -> np.ndarray:
    """Scale uint8 features to [0, 1] float32, as digits.classifier.mlp does at serving time."""
    return x.astype(np.float32) / np.float32(255)


def fit_mlp(
    x: np.ndarray,
    y: np.ndarray,
    hidden: tuple[int, ...],
    epochs: int,
    seed: int,
    learning_rate: float,
    batch_size: int,
    check: tuple[np.ndarray, np.ndarray] | None = None,
    in_turn: Sequence[tuple[np.ndarray, np.ndarray]] = (),
) -> MLPClassifier:
    """Fit a ReLU network of ``hidden`` layers for ``epochs`` passes with a cosine learning rate.

    Each pass is one warm-started ``fit`` of one iteration: a fixed number of epochs instead of
    early stopping, a new shuffle seed per epoch, and the learning rate of that epoch (Adam's
    moments restart with it). ``in_turn``, uint8 features and labels, is added to ``x`` and ``y``
    one set per epoch, the first in the first epoch, in turn: distorted copies of the digits
    that differ from epoch to epoch, as Simard et al. drew theirs, so that the network cannot
    learn one copy by heart. ``check``, uint8 features and labels, is scored after every epoch
    for the progress line only. Subnormal floats are flushed to zero while it fits
    (model.denormals): weights that decay through them would slow the epochs many times over.
    """
    network = MLPClassifier(
        hidden_layer_sizes=hidden,
        batch_size=batch_size,
        alpha=1e-4,
        max_iter=1,
        warm_start=True,
        random_state=seed,
    )
    inputs = mlp_inputs(x)
    check_inputs = None if check is None else mlp_inputs(check[0])
    started = time.perf_counter()
    for epoch in range(epochs):
        cosine = 0.5 * (1 + math.cos(math.pi * epoch / epochs))
        network.learning_rate_init = learning_rate * (0.02 + 0.98 * cosine)
        network.random_state = seed + epoch
        epoch_inputs, epoch_labels = inputs, y
        if in_turn:
            extra_x, extra_y = in_turn[epoch % len(in_turn)]
            epoch_inputs = np.vstack([inputs, mlp_inputs(extra_x)])
            epoch_labels = np.concatenate([y, extra_y])
        with warnings.catch_warnings(), denormals.flushed():
            warnings.simplefilter("ignore", ConvergenceWarning)
            network.fit(epoch_inputs, epoch_labels)
        score = ""
        if check_inputs is not None:
            score = f"  check accuracy {np.mean(network.predict(check_inputs) == check[1]):.4f}"
        log(
            f"mlp: epoch {epoch + 1}/{epochs}  loss {network.loss_:.4f}"
            f"  lr {network.learning_rate_init:.2e}{score}  {time.perf_counter() - started:.0f}s"
        )
    return network
