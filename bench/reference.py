"""The reference the benchmark compares against: a digit recogniser built the usual way.

A scikit-learn ``RandomForestClassifier(n_estimators=100)`` on raw MNIST pixels, saved and loaded
with joblib; preprocessing is grayscale, resize to 28x28, divide by 255. It is trained once and
cached under ``.cache/`` (git-ignored, never committed; bench/RESULTS.md gives its size):

    python -m bench.reference        # train now if the cache is missing; print where it is
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from PIL import Image

from digits.classifier.inference import Prediction

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "reference"
SEED = 0


def default_path() -> Path:
    """Return the cached artifact's path for this scikit-learn (a pickle is version-bound)."""
    from importlib.metadata import version

    return CACHE / f"forest-raw100-sklearn{version('scikit-learn')}.joblib"


def preprocess(image: Image.Image) -> np.ndarray:
    """Return the usual preprocessing of a decoded image: grayscale, resized to 28x28 (uint8)."""
    return np.asarray(image.convert("L").resize((28, 28)), dtype=np.uint8)


@dataclass(frozen=True)
class ReferenceModel:
    """A scikit-learn forest on raw pixels / 255, with the predict API of our classifier."""

    classifier: object
    version: str
    load_seconds: float = 0.0

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Return probabilities (n, 10) for uint8 images (n, 28, 28)."""
        pixels = np.asarray(images, dtype=np.float32).reshape(-1, 28 * 28) / 255.0
        return self.classifier.predict_proba(pixels)

    def predict(self, image: np.ndarray) -> Prediction:
        """Return the prediction for one uint8 image (28, 28)."""
        return Prediction.from_probabilities(self.predict_proba(image)[0])


def load(path: str | Path) -> ReferenceModel:
    """Load the reference forest with joblib (which imports scikit-learn to unpickle it)."""
    started = time.perf_counter()
    classifier = joblib.load(path)
    return ReferenceModel(classifier, "reference-rf100-raw", time.perf_counter() - started)


def train(path: Path, mnist_dir: str | None = None) -> dict:
    """Train the reference forest on MNIST's 60,000 training digits and save it to ``path``."""
    from sklearn.ensemble import RandomForestClassifier

    from model import mnist

    data = mnist.load(mnist_dir)
    pixels = data.train_images.reshape(-1, 28 * 28).astype(np.float32) / 255.0
    started = time.perf_counter()
    # Both cores for training only; served with the default n_jobs, as such code usually is.
    classifier = RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=SEED)
    classifier.fit(pixels, data.train_labels)
    seconds = time.perf_counter() - started
    classifier.n_jobs = None
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(classifier, path)
    record = {"train_seconds": seconds, "bytes": path.stat().st_size, "seed": SEED}
    path.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def ensure(path: Path | None = None, mnist_dir: str | None = None) -> Path:
    """Return the cached reference artifact, training it first if it is missing."""
    path = path or default_path()
    if not path.is_file():
        print(f"training the reference forest into {path} (once; about a minute on 2 cores)")
        train(path, mnist_dir)
    return path


if __name__ == "__main__":
    print(ensure())
