"""A fitted multi-layer perceptron as NumPy arrays, evaluated without scikit-learn.

The arithmetic is scikit-learn's ``MLPClassifier`` forward pass for ReLU hidden layers and a
softmax output, in the dtype the network was trained in: inputs scaled by ``1 / 255``, then
``relu(x @ W + b)`` per hidden layer, ``x @ W + b`` for the logits, softmax. The result equals
scikit-learn's ``predict_proba`` (tests/integration/test_mlp_export.py); the model card shows
it is calibrated as it is, so no temperature is applied.

A few images at a time (what a request reads) leave most inputs of each layer zero: the frame
around a digit, the gradient cells without a stroke, the hidden units the ReLU shut. Their rows of
the weights add nothing, so a layer then multiplies by the rows of its nonzero inputs alone; the
sums differ from the whole product by float rounding only (a different order of addition).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Weight decay leaves the weights of inputs that are nearly always zero (the frame's corners), and
# of hidden units that never fire, at magnitudes down to the subnormal floats. A product with such
# a weight, or one that comes out below float32's smallest normal number, takes the CPU's slow path
# (a microcode assist on x86): enough of them made one row's product many times slower. A weight
# under this bound moves no answer: inputs are at most 1 after scaling and hidden values a few
# hundred at most, so all of them together move a logit by less than 1e-14, far below float32's
# own rounding. They are set to zero as the artifact is loaded (the artifact keeps the arrays as
# trained: its version is their hash); the answers are the same (tests/unit/test_mlp.py).
NEGLIGIBLE_WEIGHT = 1e-20

# A layer multiplies by the rows of its nonzero inputs alone when they are at most this share of
# its rows. Taking the rows copies them, so this pays only where few are taken: the product of one
# image reads every row of the weights, several megabytes that a request's other work has pushed
# out of the CPU's caches by the time the model runs; the copy of a third of them costs about
# what the whole product saves (python -m bench.model times one image, make bench a request).
SPARSE_SHARE = 1 / 3


@dataclass(frozen=True)
class Perceptron:
    """Weights (in, out) and biases (out,) of each layer, the last one giving the logits."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def to_dict(self) -> dict:
        """Return the arrays as a plain dict, the form the artifact stores."""
        return {"weights": list(self.weights), "biases": list(self.biases)}

    @classmethod
    def from_dict(cls, arrays: dict) -> Perceptron:
        """Rebuild a perceptron from the artifact's dict, its negligible weights zero."""
        return cls(
            weights=tuple(_without_negligible(w) for w in arrays["weights"]),
            biases=tuple(arrays["biases"]),
        )

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Return the output layer's values (n, classes) for uint8 features x (n, inputs)."""
        dtype = self.weights[0].dtype
        # Divided, not multiplied by 1/255: the same rounding as the trainer's scaling.
        activation = x.astype(dtype) / dtype.type(255)
        last = len(self.weights) - 1
        # BLAS: on one thread in a serving process (digits.classifier.threads).
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            activation = _product(activation, weight)
            activation += bias
            if layer < last:
                np.maximum(activation, 0, out=activation)
        return activation

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Return class probabilities (n, classes) for uint8 features x (n, inputs)."""
        logits = self.logits(x)
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits.astype(np.float64)


def _product(activation: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Return ``activation @ weight``, by the rows of the nonzero inputs alone if they are few."""
    used = np.flatnonzero(activation.any(axis=0))
    if used.size > SPARSE_SHARE * weight.shape[0]:
        return activation @ weight
    return activation[:, used] @ weight[used]


def _without_negligible(weight: np.ndarray) -> np.ndarray:
    """Return ``weight`` with its negligible entries zero (a copy, if there are any)."""
    negligible = (weight != 0) & (np.abs(weight) < NEGLIGIBLE_WEIGHT)
    if not negligible.any():
        return weight
    return np.where(negligible, weight.dtype.type(0), weight)
