"""The perceptron: its export refuses what NumPy's forward pass does not compute; the artifact
keeps its weights in half precision; a layer with few nonzero inputs reads their rows alone;
perceptrons that share their input multiply by their first layers together, to the same answers
(to the bit on the served artifact: tests/integration/test_mlp_export.py)."""

import itertools

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from digits.classifier.mlp import STORED_WEIGHT_DTYPE, Perceptron, SharedInput
from model.export import export_sklearn_mlp


def test_export_refuses_other_activations():
    x = np.random.default_rng(0).random((50, 4), dtype=np.float32)
    network = MLPClassifier(hidden_layer_sizes=(3,), activation="tanh", max_iter=2)
    with pytest.warns(Warning, match="Stochastic Optimizer"):
        network.fit(x, np.arange(50) % 3)
    with pytest.raises(ValueError, match="ReLU"):
        export_sklearn_mlp(network)


def _small_network(rng):
    first = rng.normal(0, 0.1, (20, 8)).astype(np.float32)
    second = rng.normal(0, 0.1, (8, 3)).astype(np.float32)
    biases = (np.linspace(-0.1, 0.1, 8, dtype=np.float32), np.zeros(3, np.float32))
    return Perceptron(weights=(first, second), biases=biases)


def test_the_artifact_stores_weights_in_half_precision_and_serves_them_widened():
    rng = np.random.default_rng(1)
    perceptron = _small_network(rng)
    stored = perceptron.to_dict()
    assert [w.dtype for w in stored["weights"]] == [STORED_WEIGHT_DTYPE] * 2
    assert [b.dtype for b in stored["biases"]] == [np.float32] * 2
    loaded = Perceptron.from_dict(stored)
    assert [w.dtype for w in loaded.weights] == [np.float32] * 2
    # Each weight is the nearest half-precision value: within half a unit in its last place.
    for original, widened in zip(perceptron.weights, loaded.weights, strict=True):
        np.testing.assert_allclose(widened, original, rtol=2**-11)
    x = rng.integers(0, 256, (50, 20), dtype=np.uint8)
    moved = np.abs(loaded.predict_proba(x) - perceptron.predict_proba(x)).max()
    assert 0 < moved < 1e-3
    assert (loaded.predict_proba(x).argmax(1) == perceptron.predict_proba(x).argmax(1)).all()


def test_weights_too_small_for_half_precision_are_stored_as_zero():
    # Weight decay leaves subnormal weights on inputs that are nearly always zero; products with
    # them take the CPU's slow path. Stored and loaded again, they are exactly zero.
    perceptron = _small_network(np.random.default_rng(2))
    first = perceptron.weights[0].copy()
    first[:5] = np.float32(3e-39)  # subnormal in float32
    first[5:8] = np.float32(-1e-30)
    loaded = Perceptron.from_dict(
        Perceptron(weights=(first, perceptron.weights[1]), biases=perceptron.biases).to_dict()
    )
    assert (loaded.weights[0][:8] == 0).all()
    assert np.abs(loaded.weights[0][8:]).min() > np.finfo(np.float32).tiny


def test_a_weight_half_precision_cannot_hold_is_refused_not_stored_as_infinity():
    perceptron = _small_network(np.random.default_rng(3))
    first = perceptron.weights[0].copy()
    first[0, 0] = 1e5
    with pytest.raises(ValueError, match="largest the artifact stores"):
        Perceptron(weights=(first, perceptron.weights[1]), biases=perceptron.biases).to_dict()


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


def _perceptrons(rng, inputs: int, widths: tuple[int, ...]) -> tuple[Perceptron, ...]:
    """Return perceptrons of two hidden layers on ``inputs``, the first ``widths`` wide."""
    out = []
    for width in widths:
        sizes = (inputs, width, 10, 12)
        weights = tuple(
            rng.normal(0, 0.2, (a, b)).astype(np.float32) for a, b in itertools.pairwise(sizes)
        )
        biases = tuple(rng.normal(0, 0.05, b).astype(np.float32) for b in sizes[1:])
        out.append(Perceptron(weights=weights, biases=biases))
    return tuple(out)


def _arrays(perceptrons: tuple[Perceptron, ...]) -> list[dict]:
    """Return the perceptrons as the artifact's dicts hold them, their weights as they are."""
    return [{"weights": p.weights, "biases": p.biases} for p in perceptrons]


@pytest.mark.parametrize("rows", [1, 7, 300])
def test_perceptrons_sharing_their_input_answer_as_each_alone(rows):
    rng = np.random.default_rng(4)
    alone = _perceptrons(rng, 90, (16, 24, 16))
    shared = SharedInput.from_arrays(_arrays(alone))
    # A few rows light few inputs (each layer then reads their rows alone); many light most.
    x = rng.integers(0, 256, (rows, 90), dtype=np.uint8)
    if rows < 100:
        x[:, rng.random(90) < 0.8] = 0
    together = shared.predict_proba(x)
    for perceptron, original, probabilities in zip(
        shared.perceptrons, alone, together, strict=True
    ):
        # Up to float rounding: BLAS may block a product of other widths otherwise.
        np.testing.assert_allclose(probabilities, original.predict_proba(x), rtol=1e-6)
        np.testing.assert_allclose(
            perceptron.predict_proba(x), original.predict_proba(x), rtol=1e-6
        )


def test_perceptrons_sharing_their_input_keep_one_copy_of_their_first_layers():
    alone = _perceptrons(np.random.default_rng(5), 40, (8, 12))
    shared = SharedInput.from_arrays(_arrays(alone))
    for perceptron, original in zip(shared.perceptrons, alone, strict=True):
        assert np.shares_memory(perceptron.weights[0], shared.first)
        np.testing.assert_array_equal(perceptron.weights[0], original.weights[0])
        assert perceptron.weights[1:] == original.weights[1:]


def test_perceptrons_that_cannot_share_their_input_are_left_alone():
    rng = np.random.default_rng(6)
    assert SharedInput.from_arrays(_arrays(_perceptrons(rng, 40, (8,)))) is None
    assert (
        SharedInput.from_arrays(_arrays(_perceptrons(rng, 40, (8,)) + _perceptrons(rng, 41, (8,))))
        is None
    )


def test_perceptrons_shared_from_the_artifact_are_the_ones_it_stores_widened():
    alone = _perceptrons(np.random.default_rng(7), 40, (8, 12, 8))
    stored = [perceptron.to_dict() for perceptron in alone]
    shared = SharedInput.from_arrays(stored)
    assert shared.first.dtype == np.float32
    for perceptron, entry in zip(shared.perceptrons, stored, strict=True):
        loaded = Perceptron.from_dict(entry)
        assert np.shares_memory(perceptron.weights[0], shared.first)
        for together, own in zip(perceptron.weights, loaded.weights, strict=True):
            assert together.dtype == own.dtype == np.float32
            np.testing.assert_array_equal(together, own)
