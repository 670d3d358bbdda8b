"""The forest's pure parts: export refusals, the artifact check, deskew and feature sets."""

import joblib
import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from digits.classifier import features
from digits.classifier.inference import load_model
from model.export import export_sklearn_forest


def test_export_refuses_a_forest_fitted_on_non_uint8_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)) * 1000
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(x, x[:, 0] > 0)
    with pytest.raises(ValueError, match="uint8"):
        export_sklearn_forest(forest)


def test_load_rejects_something_else(tmp_path):
    path = tmp_path / "other.joblib"
    joblib.dump({"format": 99}, path)
    with pytest.raises(ValueError, match="not a digits model artifact"):
        load_model(path)


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
def test_features_are_uint8_rows(feature_set):
    images = np.zeros((3, 28, 28), np.uint8)
    images[:, 6:22, 12:16] = 255  # a bar, like a 1
    images[1, 6:10, 8:20] = 255  # with a top, like a 7
    images[2] = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    x = features.extract(images, feature_set)
    assert x.dtype == np.uint8
    assert x.shape[0] == 3
    assert x.shape[1] >= 784


def test_unknown_feature_set_is_refused():
    with pytest.raises(ValueError, match="unknown feature set"):
        features.extract(np.zeros((1, 28, 28), np.uint8), "colour")
