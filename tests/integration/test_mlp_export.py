"""The NumPy perceptron as exported: exact against scikit-learn on MNIST, alone and in an ensemble;
the served artifact's perceptrons, sharing their input, read as each alone to the bit.

Fitted on MNIST here, so not a unit test (tests/unit/test_mlp.py holds the export's refusal).
"""

import joblib
import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from digits.classifier import features
from digits.classifier.inference import load_model
from digits.classifier.mlp import Perceptron
from model import mnist
from model.export import artifact, export_sklearn_forest, export_sklearn_mlp

FEATURE_SET = "deskewed+hog"


@pytest.fixture(scope="module")
def data(mnist_dir):
    return mnist.load(mnist_dir)


@pytest.fixture(scope="module")
def fitted(data):
    """A small network fitted as model.train fits one: float32 inputs scaled by 1/255."""
    x = features.extract(data.train_images[:3000], FEATURE_SET).astype(np.float32) / 255
    network = MLPClassifier(hidden_layer_sizes=(64,), max_iter=5, random_state=0)
    with pytest.warns(Warning, match="Stochastic Optimizer"):
        return network.fit(x, data.train_labels[:3000])


def test_numpy_perceptron_matches_scikit_learn_on_the_whole_test_set(data, fitted):
    x_test = features.extract(data.test_images, FEATURE_SET)
    exported = export_sklearn_mlp(fitted)
    expected = fitted.predict_proba(x_test.astype(np.float32) / 255)
    assert np.abs(exported.predict_proba(x_test) - expected).max() <= 1e-6
    assert exported.weights[0].dtype == np.float32


def test_ensemble_artifact_averages_its_members(tmp_path, data, fitted):
    from sklearn.ensemble import RandomForestClassifier

    x = features.extract(data.train_images[:2000], FEATURE_SET)
    forest = export_sklearn_forest(
        RandomForestClassifier(n_estimators=5, random_state=0).fit(x, data.train_labels[:2000])
    )
    network = export_sklearn_mlp(fitted)
    path = tmp_path / "model.joblib"
    joblib.dump(artifact([network, forest], [0.75, 0.25], FEATURE_SET, "v"), path)
    model = load_model(path)
    assert isinstance(model.members[0], Perceptron)
    images = data.test_images[:100]
    x_test = features.extract(images, FEATURE_SET)
    # The artifact keeps the perceptron's weights in half precision; the forest as it is.
    as_stored = Perceptron.from_dict(network.to_dict())
    expected = 0.75 * as_stored.predict_proba(x_test) + 0.25 * forest.predict_proba(x_test)
    np.testing.assert_allclose(model.predict_proba(images), expected, atol=1e-12)
    assert model.predict(images[0]).probabilities == pytest.approx(tuple(expected[0]), abs=1e-6)
    # Half precision moves the perceptron's probabilities by less than a thousandth.
    assert np.abs(as_stored.predict_proba(x_test) - network.predict_proba(x_test)).max() < 1e-3


def test_rows_one_at_a_time_agree_with_a_batch(data, fitted):
    # BLAS takes other paths (and blocks) for one row than for many: they differ only in rounding.
    x_test = features.extract(data.test_images[:200], FEATURE_SET)
    exported = export_sklearn_mlp(fitted)
    batch = exported.predict_proba(x_test)
    one_at_a_time = np.vstack([exported.predict_proba(x_test[i : i + 1]) for i in range(200)])
    assert np.abs(one_at_a_time - batch).max() <= 1e-6


def test_the_served_model_reads_as_its_perceptrons_alone_to_the_bit(model, mnist_test):
    """The served perceptrons share their input (digits.classifier.mlp.SharedInput): on their
    shapes, a request's few images and the bench's whole test set alike read the same bits as
    each perceptron alone, so figures measured either way hold for both."""
    assert model.shared is not None
    alone = [
        Perceptron(weights=(np.ascontiguousarray(m.weights[0]), *m.weights[1:]), biases=m.biases)
        for m in model.members
    ]
    images = mnist_test[0]
    for size in (1, 3, 22, 256, 1000, 10000):
        batch = images[:size]
        x = features.extract(batch, model.feature_set)
        expected = sum(p.predict_proba(x) * w for p, w in zip(alone, model.weights, strict=True))
        np.testing.assert_array_equal(model.predict_proba(batch), expected)
