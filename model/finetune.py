"""Fine-tune the served perceptron from its exported arrays: a warm start, not a new model.

The arithmetic is scikit-learn's MLPClassifier's (model/fit.py trains the served one with it):
ReLU hidden layers, softmax output, cross-entropy plus ``alpha / 2 * sum(W**2)`` per batch, Adam.
scikit-learn cannot start from arrays, so the few lines of its training step are written here in
NumPy, in the network's own dtype; the result is a ``digits.classifier.mlp.Perceptron`` again.

Training rows: ``replay`` (MNIST and the trainer's synthetic sets, so the network keeps what it
knows) and the labelled images, each repeated ``weight`` times per epoch (see model/retrain.py
for how the weight was chosen).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable

import numpy as np

from digits.classifier.mlp import Perceptron
from model import denormals

ALPHA = 1e-4  # model/fit.py's L2 penalty
BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8  # Adam's defaults, as scikit-learn's


def new_perceptron(
    inputs: int, hidden: tuple[int, ...], seed: int, classes: int = 10, dtype=np.float32
) -> Perceptron:
    """Return a perceptron initialised as scikit-learn does (Glorot uniform), for a cold start."""
    rng = np.random.default_rng(seed)
    weights, biases = [], []
    sizes = (inputs, *hidden, classes)
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = math.sqrt(6 / (fan_in + fan_out))
        weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        biases.append(rng.uniform(-bound, bound, fan_out).astype(dtype))
    return Perceptron(weights=tuple(weights), biases=tuple(biases))


def fine_tune(
    start: Perceptron,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    seed: int,
    log: Callable[[str], None] = lambda _: None,
) -> Perceptron:
    """Return a copy of ``start`` trained on uint8 features ``x`` and labels ``y`` for ``epochs``.

    The learning rate follows a cosine from ``learning_rate`` down, one value per epoch, as
    model/fit.py does; the arrays of ``start`` are not changed.
    """
    dtype = start.weights[0].dtype
    weights = [w.copy() for w in start.weights]
    biases = [b.copy() for b in start.biases]
    params = weights + biases
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    rng = np.random.default_rng(seed)
    inputs = x.astype(dtype) / dtype.type(255)
    step = 0
    started = time.perf_counter()
    with denormals.flushed():  # as model/fit.py trains: decaying weights stay fast
        for epoch in range(epochs):
            cosine = 0.5 * (1 + math.cos(math.pi * epoch / epochs))
            rate = learning_rate * (0.02 + 0.98 * cosine)
            order = rng.permutation(len(inputs))
            total_loss = 0.0
            for start_row in range(0, len(order), batch_size):
                rows = order[start_row : start_row + batch_size]
                gradients, loss = _gradients(weights, biases, inputs[rows], y[rows])
                total_loss += loss * len(rows)
                step += 1
                corrected = rate * math.sqrt(1 - BETA2**step) / (1 - BETA1**step)
                for i, (param, grad) in enumerate(zip(params, gradients, strict=True)):
                    first[i] = BETA1 * first[i] + (1 - BETA1) * grad
                    second[i] = BETA2 * second[i] + (1 - BETA2) * grad * grad
                    param -= (corrected * first[i] / (np.sqrt(second[i]) + EPSILON)).astype(dtype)
            log(
                f"fine-tune: epoch {epoch + 1}/{epochs}  loss {total_loss / len(order):.4f}"
                f"  lr {rate:.2e}  {time.perf_counter() - started:.0f}s"
            )
    return Perceptron(weights=tuple(weights), biases=tuple(biases))


def _gradients(
    weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[list[np.ndarray], float]:
    """Return the gradients (weights then biases) and the loss of one batch."""
    activations = [x]
    for layer, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        value = activations[-1] @ weight + bias
        if layer < len(weights) - 1:
            np.maximum(value, 0, out=value)
        activations.append(value)
    logits = activations[-1]
    logits = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    n = len(x)
    picked = probabilities[np.arange(n), y]
    loss = -np.log(np.clip(picked, 1e-10, None)).mean()
    loss += 0.5 * ALPHA * sum(float((w * w).sum()) for w in weights) / n
    delta = probabilities
    delta[np.arange(n), y] -= 1
    delta /= n
    weight_grads: list[np.ndarray] = [None] * len(weights)  # type: ignore[list-item]
    bias_grads: list[np.ndarray] = [None] * len(weights)  # type: ignore[list-item]
    for layer in range(len(weights) - 1, -1, -1):
        weight_grads[layer] = activations[layer].T @ delta + ALPHA * weights[layer] / n
        bias_grads[layer] = delta.sum(axis=0)
        if layer:
            delta = delta @ weights[layer].T
            delta *= activations[layer] > 0
    return weight_grads + bias_grads, float(loss)
