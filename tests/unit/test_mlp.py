"""The perceptron: its export refuses what NumPy's forward pass does not compute; it drops
weights too small to matter."""

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from digits.classifier.mlp import NEGLIGIBLE_WEIGHT, Perceptron
from model.export import export_sklearn_mlp


def test_export_refuses_other_activations():
    x = np.random.default_rng(0).random((50, 4), dtype=np.float32)
    network = MLPClassifier(hidden_layer_sizes=(3,), activation="tanh", max_iter=2)
    with pytest.warns(Warning, match="Stochastic Optimizer"):
        network.fit(x, np.arange(50) % 3)
    with pytest.raises(ValueError, match="ReLU"):
        export_sklearn_mlp(network)


def test_negligible_weights_are_zeroed_as_an_artifact_loads_without_changing_an_answer():
    # Weight decay leaves subnormal weights on inputs that are nearly always zero; products with
    # them take the CPU's slow path. Loaded, the perceptron holds them as zero and answers the same.
    rng = np.random.default_rng(1)
    first = rng.normal(0, 0.1, (20, 8)).astype(np.float32)
    first[:5] = np.float32(3e-39)  # subnormal
    first[5:8] = np.float32(-1e-30)
    second = rng.normal(0, 0.1, (8, 3)).astype(np.float32)
    original = first.copy()
    arrays = {
        "weights": [first, second],
        "biases": [np.zeros(8, np.float32), np.zeros(3, np.float32)],
    }
    perceptron = Perceptron.from_dict(arrays)
    kept = perceptron.weights[0]
    assert not ((kept != 0) & (np.abs(kept) < NEGLIGIBLE_WEIGHT)).any()
    assert (kept[:8] == 0).all()
    assert np.array_equal(kept[8:], original[8:])
    np.testing.assert_array_equal(first, original)  # the caller's array is not changed
    x = rng.integers(0, 256, (50, 20), dtype=np.uint8)
    exact = np.maximum(x.astype(np.float64) / 255 @ original.astype(np.float64), 0) @ second
    exact = np.exp(exact - exact.max(axis=1, keepdims=True))
    exact /= exact.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(perceptron.predict_proba(x), exact, atol=1e-6)


def test_an_artifact_without_negligible_weights_keeps_its_arrays():
    weight = np.ones((4, 2), np.float32)
    perceptron = Perceptron.from_dict({"weights": [weight], "biases": [np.zeros(2, np.float32)]})
    assert perceptron.weights[0] is weight


def _whole_product_logits(x, first, second, biases):
    hidden = np.maximum(x.astype(np.float32) / np.float32(255) @ first + biases[0], 0)
    return hidden @ second + biases[1]


def test_a_layer_with_few_nonzero_inputs_multiplies_by_their_rows_alone():
    # One image lights a fifth of the inputs: the rows of the others are not read (NaN there would
    # poison the whole product), and the answer is the whole product's up to float rounding.
    rng = np.random.default_rng(2)
    first = rng.normal(0, 0.1, (30, 8)).astype(np.float32)
    second = rng.normal(0, 0.1, (8, 3)).astype(np.float32)
    biases = (np.linspace(-0.2, 0.3, 8, dtype=np.float32), np.zeros(3, np.float32))
    x = np.zeros((1, 30), np.uint8)
    x[0, [3, 7, 11, 20, 29, 1]] = rng.integers(1, 256, 6, dtype=np.uint8)
    poisoned = first.copy()
    poisoned[x[0] == 0] = np.nan
    perceptron = Perceptron(weights=(poisoned, second), biases=biases)
    logits = perceptron.logits(x)
    assert np.isfinite(logits).all()
    np.testing.assert_allclose(logits, _whole_product_logits(x, first, second, biases), rtol=1e-6)
    # Nothing lit at all: the biases alone.
    blank = perceptron.logits(np.zeros_like(x))
    assert blank.any()
    np.testing.assert_allclose(blank, _whole_product_logits(x * 0, first, second, biases))


def test_a_batch_lighting_most_inputs_takes_the_whole_product():
    rng = np.random.default_rng(3)
    first = rng.normal(0, 0.1, (30, 8)).astype(np.float32)
    second = rng.normal(0, 0.1, (8, 3)).astype(np.float32)
    biases = (np.full(8, 0.1, np.float32), np.zeros(3, np.float32))
    x = rng.integers(0, 256, (40, 30), dtype=np.uint8)
    logits = Perceptron(weights=(first, second), biases=biases).logits(x)
    np.testing.assert_array_equal(logits, _whole_product_logits(x, first, second, biases))
