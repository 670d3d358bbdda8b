"""The perceptron's export refuses what NumPy's forward pass does not compute."""

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from model.export import export_sklearn_mlp


def test_export_refuses_other_activations():
    x = np.random.default_rng(0).random((50, 4), dtype=np.float32)
    network = MLPClassifier(hidden_layer_sizes=(3,), activation="tanh", max_iter=2)
    with pytest.warns(Warning, match="Stochastic Optimizer"):
        network.fit(x, np.arange(50) % 3)
    with pytest.raises(ValueError, match="ReLU"):
        export_sklearn_mlp(network)
