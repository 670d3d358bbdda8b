"""The forest as exported: exact against scikit-learn on MNIST, compact, and the committed model.

A full-size forest (100 trees) is fitted on MNIST here, and the committed artifact is read: not
unit tests (tests/unit holds the forest's pure parts, in test_forest.py).
"""

import joblib
import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from digits.classes import CLASSES, DIGITS
from digits.classifier import features
from digits.classifier.forest import FlatForest
from digits.classifier.inference import load_model
from digits.config import Settings
from model import mnist
from model.export import artifact, export_sklearn_forest

FEATURE_SET = "deskewed+hog"


@pytest.fixture(scope="module")
def data(mnist_dir):
    return mnist.load(mnist_dir)


@pytest.fixture(scope="module")
def fitted(data):
    """A full-size forest fitted on the first 10,000 training digits (quick to fit)."""
    x = features.extract(data.train_images[:10000], FEATURE_SET)
    return RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=-1).fit(
        x, data.train_labels[:10000]
    )


def test_exported_forest_matches_scikit_learn_on_the_whole_test_set(data, fitted):
    x_test = features.extract(data.test_images, FEATURE_SET)
    flat = export_sklearn_forest(fitted)
    difference = np.abs(flat.predict_proba(x_test) - fitted.predict_proba(x_test)).max()
    assert difference <= 1e-6


def test_export_is_compact(fitted):
    flat = export_sklearn_forest(fitted)
    assert flat.n_trees == 100
    assert flat.n_nodes == sum(e.tree_.node_count for e in fitted.estimators_)
    assert flat.threshold.dtype == np.uint8
    assert flat.feature.itemsize <= 2
    assert flat.right.itemsize <= 2


def test_artifact_round_trip_keeps_predictions(tmp_path, data, fitted):
    flat = export_sklearn_forest(fitted)
    path = tmp_path / "forest.joblib"
    joblib.dump(artifact([flat], [1.0], FEATURE_SET, "test-version"), path)
    model = load_model(path)
    assert model.version == "test-version"
    assert model.load_seconds > 0
    x = features.extract(data.test_images[:500], FEATURE_SET)
    np.testing.assert_array_equal(
        model.predict_proba(data.test_images[:500]), flat.predict_proba(x)
    )
    assert [type(m) for m in model.members] == [FlatForest]


def test_committed_model_reads_real_test_digits(data):
    model = load_model(Settings.from_env({}).model_path)
    right = 0
    for image, label in zip(data.test_images[:12], data.test_labels[:12], strict=True):
        prediction = model.predict(image)
        right += prediction.digit == label
        assert prediction.confidence == max(prediction.probabilities)
        assert sum(prediction.probabilities) + prediction.not_a_digit == pytest.approx(1.0)
    # Test index 8, a 5 with an open loop, is read as a 6 (the card lists the digits it misses).
    assert right >= 11


def test_committed_model_batch_agrees_with_single_predictions(data):
    model = load_model(Settings.from_env({}).model_path)
    batch = model.predict_proba(data.test_images[:50])
    assert batch.shape == (50, CLASSES)
    for image, row in zip(data.test_images[:50], batch, strict=True):
        prediction = model.predict(image)
        assert prediction.probabilities == pytest.approx(tuple(row[:DIGITS]), abs=1e-6)
        assert prediction.not_a_digit == pytest.approx(row[DIGITS:].sum(), abs=1e-6)
