"""model/finetune.py: the NumPy training step is scikit-learn's, and a warm start starts warm."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from model import finetune
from model.export import export_sklearn_mlp


def toy(n: int = 300, inputs: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 256, (10, inputs))
    y = rng.integers(0, 10, n)
    x = np.clip(centres[y] + rng.normal(0, 40, (n, inputs)), 0, 255).astype(np.uint8)
    return x, y


def test_gradients_match_finite_differences():
    x, y = toy(20)
    start = finetune.new_perceptron(x.shape[1], (7,), seed=1, dtype=np.float64)
    weights, biases = list(start.weights), list(start.biases)
    inputs = x.astype(np.float64) / 255
    gradients, _ = finetune._gradients(weights, biases, inputs, y)
    rng = np.random.default_rng(2)
    for array, gradient in zip(weights + biases, gradients, strict=True):
        for _ in range(3):
            index = tuple(rng.integers(0, s) for s in array.shape)
            saved = array[index]
            array[index] = saved + 1e-6
            up = finetune._gradients(weights, biases, inputs, y)[1]
            array[index] = saved - 1e-6
            down = finetune._gradients(weights, biases, inputs, y)[1]
            array[index] = saved
            assert abs((up - down) / 2e-6 - gradient[index]) < 1e-5


def test_fine_tuning_a_scikit_learn_network_keeps_it_and_learns_more():
    x, y = toy()
    network = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    with warnings.catch_warnings():  # a few epochs: not converged, on purpose
        warnings.simplefilter("ignore", ConvergenceWarning)
        network.fit(x.astype(np.float32) / 255, y)
    start = export_sklearn_mlp(network)
    before = [w.copy() for w in start.weights]
    tuned = finetune.fine_tune(start, x, y, epochs=20, learning_rate=1e-2, batch_size=32, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, start.weights, strict=True))
    assert tuned.weights[0].dtype == start.weights[0].dtype
    accuracy_before = np.mean(start.predict_proba(x).argmax(axis=1) == y)
    accuracy_after = np.mean(tuned.predict_proba(x).argmax(axis=1) == y)
    assert accuracy_after > accuracy_before
    assert accuracy_after > 0.9
