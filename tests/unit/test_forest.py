import joblib
import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

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


def test_export_refuses_a_forest_fitted_on_non_uint8_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)) * 1000
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(x, x[:, 0] > 0)
    with pytest.raises(ValueError, match="uint8"):
        export_sklearn_forest(forest)


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


def test_load_rejects_something_else(tmp_path):
    path = tmp_path / "other.joblib"
    joblib.dump({"format": 99}, path)
    with pytest.raises(ValueError, match="not a digits model artifact"):
        load_model(path)


def test_committed_model_reads_real_test_digits(data):
    model = load_model(Settings.from_env({}).model_path)
    for image, label in zip(data.test_images[:12], data.test_labels[:12], strict=True):
        prediction = model.predict(image)
        assert prediction.digit == label
        assert prediction.confidence == max(prediction.probabilities)
        assert sum(prediction.probabilities) == pytest.approx(1.0)


def test_committed_model_batch_agrees_with_single_predictions(data):
    model = load_model(Settings.from_env({}).model_path)
    batch = model.predict_proba(data.test_images[:50])
    assert batch.shape == (50, 10)
    for image, row in zip(data.test_images[:50], batch, strict=True):
        assert model.predict(image).probabilities == pytest.approx(tuple(row), abs=1e-6)


def test_deskew_makes_a_slanted_bar_upright():
    image = np.zeros((1, 28, 28), np.uint8)
    for row in range(4, 24):
        col = 8 + (23 - row) // 2  # leans right going up, like a slanted 1
        image[0, row, col : col + 2] = 255
    upright = features.deskew(image)[0].astype(float)
    cols = np.arange(28)
    centres = [(upright[r] * cols).sum() / upright[r].sum() for r in range(6, 22)]
    assert max(centres) - min(centres) < 1.5


@pytest.mark.parametrize("feature_set", ["pixels", "deskewed", "deskewed+hog"])
def test_features_are_uint8_rows(data, feature_set):
    x = features.extract(data.test_images[:3], feature_set)
    assert x.dtype == np.uint8
    assert x.shape[0] == 3
    assert x.shape[1] >= 784


def test_unknown_feature_set_is_refused():
    with pytest.raises(ValueError, match="unknown feature set"):
        features.extract(np.zeros((1, 28, 28), np.uint8), "colour")
