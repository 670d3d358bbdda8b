"""A fitted multi-layer perceptron as NumPy arrays, evaluated without scikit-learn.

The arithmetic is scikit-learn's ``MLPClassifier`` forward pass for ReLU hidden layers and a
softmax output, in the dtype the network was trained in: inputs scaled by ``1 / 255``, then
``relu(x @ W + b)`` per hidden layer, ``x @ W + b`` for the logits, softmax. As exported, the
result equals scikit-learn's ``predict_proba`` (tests/integration/test_mlp_export.py); as the
artifact stores it, its weights rounded to half precision, it differs by the largest amount the
model card gives. The card shows the served model is calibrated as it is, so no temperature is
applied.

A few images at a time (what a request reads) leave most inputs of each layer zero: the frame
around a digit, the gradient cells without a stroke, the hidden units the ReLU shut. Their rows of
the weights add nothing, so a layer then multiplies by the rows of its nonzero inputs alone; the
sums differ from the whole product by float rounding only (a different order of addition).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The artifact stores the weights in half precision, half the bytes of float32; they are widened
# back to the biases' dtype (the one the network was trained in) as the artifact loads, and all the
# arithmetic is done in it. Rounding each weight to 11 significant bits moves the probabilities
# slightly (the model card gives the largest move over MNIST test). It also takes
# the weights that weight decay left near zero, on inputs that are nearly always zero and on
# hidden units that never fire, to exactly zero: widened, none is a subnormal float, whose
# products take the CPU's slow path (a microcode assist on x86).
STORED_WEIGHT_DTYPE = np.float16

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
        """Return the arrays as a plain dict, the form the artifact stores: weights in half
        precision, biases as they are."""
        return {"weights": [_stored(w) for w in self.weights], "biases": list(self.biases)}

    @classmethod
    def from_dict(cls, arrays: dict) -> Perceptron:
        """Rebuild a perceptron from the artifact's dict, its weights in its biases' dtype."""
        biases = tuple(arrays["biases"])
        return cls(
            weights=tuple(
                np.asarray(w, dtype=b.dtype) for w, b in zip(arrays["weights"], biases, strict=True)
            ),
            biases=biases,
        )

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Return the output layer's values (n, classes) for uint8 features x (n, inputs)."""
        return _layers(_scaled(x, self.weights[0].dtype), self.weights, self.biases)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Return class probabilities (n, classes) for uint8 features x (n, inputs)."""
        return _softmax(self.logits(x))


@dataclass(frozen=True)
class SharedInput:
    """Perceptrons that read the same features, their first layers side by side in one array.

    One product by the first layers together reads the rows of the nonzero inputs once, where each
    perceptron alone would gather and multiply its own; the later layers stay each perceptron's.
    Each value is the one the perceptron computes alone, up to float rounding where BLAS blocks a
    product of other widths otherwise; on the served artifact's shapes, to the bit, for one image
    and for ten thousand (tests/integration/test_mlp_export.py), so its figures hold either way.
    """

    first: np.ndarray  # (inputs, the perceptrons' first hidden widths together)
    first_bias: np.ndarray
    ends: tuple[int, ...]  # where each perceptron's columns end in ``first``
    perceptrons: tuple[Perceptron, ...]

    @classmethod
    def from_arrays(cls, arrays: list[dict]) -> SharedInput | None:
        """Return the perceptrons of the artifact's dicts (Perceptron.from_dict's) sharing their
        input, or None if they are fewer than two, read inputs of different widths or dtypes, or
        one has no hidden layer.

        Each first layer is widened straight into its columns of ``first``, and each perceptron's
        is a view of them: the weights are held once, and never twice on the way.
        """
        firsts = [np.asarray(a["weights"][0]) for a in arrays]
        dtypes = {a["biases"][0].dtype for a in arrays}
        if (
            len(arrays) < 2
            or len({w.shape[0] for w in firsts}) > 1
            or len(dtypes) > 1
            or min(len(a["weights"]) for a in arrays) < 2
        ):
            return None
        ends = np.cumsum([w.shape[1] for w in firsts]).tolist()
        first = np.empty((firsts[0].shape[0], ends[-1]), dtype=dtypes.pop())
        perceptrons = []
        for entry, weight, end in zip(arrays, firsts, ends, strict=True):
            columns = first[:, end - weight.shape[1] : end]
            columns[...] = weight
            biases = tuple(entry["biases"])
            rest = (
                np.asarray(w, dtype=b.dtype)
                for w, b in zip(entry["weights"][1:], biases[1:], strict=True)
            )
            perceptrons.append(Perceptron(weights=(columns, *rest), biases=biases))
        return cls(
            first=first,
            first_bias=np.concatenate([p.biases[0] for p in perceptrons]),
            ends=tuple(ends),
            perceptrons=tuple(perceptrons),
        )

    def predict_proba(self, x: np.ndarray) -> list[np.ndarray]:
        """Return each perceptron's class probabilities (n, classes) for uint8 features x."""
        hidden = _product(_scaled(x, self.first.dtype), self.first)
        hidden += self.first_bias
        np.maximum(hidden, 0, out=hidden)
        out, start = [], 0
        for perceptron, end in zip(self.perceptrons, self.ends, strict=True):
            own = np.ascontiguousarray(hidden[:, start:end])
            out.append(_softmax(_layers(own, perceptron.weights[1:], perceptron.biases[1:])))
            start = end
        return out


def _scaled(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Return uint8 features in [0, 1] in ``dtype``."""
    # Divided, not multiplied by 1/255: the same rounding as the trainer's scaling.
    return x.astype(dtype) / dtype.type(255)


def _layers(activation: np.ndarray, weights, biases) -> np.ndarray:
    """Return ``activation`` through the layers: ReLU after each but the last, which gives the
    logits."""
    last = len(weights) - 1
    # BLAS: on one thread in a serving process (digits.classifier.threads).
    for layer, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        activation = _product(activation, weight)
        activation += bias
        if layer < last:
            np.maximum(activation, 0, out=activation)
    return activation


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Return the probabilities of ``logits`` (changed in place), in float64."""
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


def _stored(weight: np.ndarray) -> np.ndarray:
    """Return ``weight`` rounded to the artifact's dtype, refusing weights it cannot hold."""
    limit = np.finfo(STORED_WEIGHT_DTYPE).max
    if not np.all(np.abs(weight) <= limit):
        raise ValueError(f"a weight is beyond {limit}, the largest the artifact stores")
    return weight.astype(STORED_WEIGHT_DTYPE)
