"""Load the exported forest once and map 28x28 MNIST-style images to digits and probabilities."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np

from digits import features
from digits.forest import FlatForest

ARTIFACT_FORMAT = 1


@dataclass(frozen=True)
class Prediction:
    """One image's answer: the digit, its probability, and all ten probabilities."""

    digit: int
    confidence: float
    probabilities: tuple[float, ...]

    @classmethod
    def from_probabilities(cls, probabilities: np.ndarray) -> Prediction:
        """Return the prediction for one row of ten class probabilities."""
        digit = int(np.argmax(probabilities))
        return cls(
            digit=digit,
            confidence=float(probabilities[digit]),
            probabilities=tuple(float(p) for p in probabilities),
        )


@dataclass(frozen=True)
class Model:
    """The exported forest with the feature set it was trained on."""

    forest: FlatForest
    feature_set: str
    version: str
    load_seconds: float = 0.0

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Return probabilities (n, 10) for uint8 images (n, 28, 28), white ink on black."""
        images = np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28)
        return self.forest.predict_proba(features.extract(images, self.feature_set))

    def predict(self, image: np.ndarray) -> Prediction:
        """Return the prediction for one uint8 image (28, 28), white ink on black."""
        return Prediction.from_probabilities(self.predict_proba(image)[0])


def artifact(forest: FlatForest, feature_set: str, version: str) -> dict:
    """Return the dict that is saved with joblib as the model artifact."""
    return {
        "format": ARTIFACT_FORMAT,
        "version": version,
        "feature_set": feature_set,
        "forest": forest.to_dict(),
    }


def load_model(path: str | Path) -> Model:
    """Load a model artifact written by ``model.train``."""
    started = time.perf_counter()
    data = joblib.load(path)
    if not isinstance(data, dict) or data.get("format") != ARTIFACT_FORMAT:
        raise ValueError(f"{path} is not a digits model artifact of format {ARTIFACT_FORMAT}")
    forest = FlatForest.from_dict(data["forest"])
    forest.walk  # noqa: B018 - build the traversal tables now, at cold start, not on a request
    return Model(
        forest=forest,
        feature_set=data["feature_set"],
        version=data["version"],
        load_seconds=time.perf_counter() - started,
    )
