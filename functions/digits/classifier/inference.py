"""Load the exported model once and map 28x28 MNIST-style images to digits and probabilities.

A model is one or more members, each a NumPy evaluator of the same features: the forest (``forest``)
and the perceptron (``mlp``). Their probabilities are averaged with fixed weights; the artifact says
which members the trainer chose (see model/README.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

# joblib's loader alone: the package's __init__ also imports its Memory cache and Parallel (with
# asyncio and cloudpickle), which the Lambda handler defers (lambda_handler.py).
from joblib.numpy_pickle import load as joblib_load

from digits.classes import DIGITS
from digits.classifier import features
from digits.classifier.forest import FlatForest
from digits.classifier.mlp import Perceptron, SharedInput

ARTIFACT_FORMAT = 2


class Member(Protocol):
    def predict_proba(self, x: np.ndarray) -> np.ndarray: ...
    def to_dict(self) -> dict: ...


MEMBER_KINDS: dict[str, type] = {"forest": FlatForest, "mlp": Perceptron}


@dataclass(frozen=True)
class Prediction:
    """One image read as a digit: the digit, its probability, the ten digits' probabilities.

    What the ten leave of 1 is ``not_a_digit``: the model's belief that this is not one digit.
    """

    digit: int
    confidence: float
    probabilities: tuple[float, ...]
    not_a_digit: float = 0.0

    @classmethod
    def from_probabilities(cls, probabilities: np.ndarray) -> Prediction:
        """Return the prediction for one row of class probabilities (ten digits, maybe more)."""
        digits = probabilities[:DIGITS]
        digit = int(np.argmax(digits))
        return cls(
            digit=digit,
            confidence=float(digits[digit]),
            probabilities=tuple(float(p) for p in digits),
            not_a_digit=max(0.0, 1.0 - float(digits.sum())),
        )


@dataclass(frozen=True)
class Model:
    """The exported members, their weights in the average, and the feature set they read."""

    members: tuple[Member, ...]
    weights: tuple[float, ...]
    feature_set: str
    version: str
    load_seconds: float = 0.0
    # The members' first layers as one array, when they are perceptrons that can share it.
    shared: SharedInput | None = None

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Return probabilities (n, classes) for uint8 images (n, 28, 28), white ink on black."""
        images = np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28)
        x = features.extract(images, self.feature_set)
        if self.shared is not None:
            parts = self.shared.predict_proba(x)
        else:
            parts = [member.predict_proba(x) for member in self.members]
        total = None
        for part, weight in zip(parts, self.weights, strict=True):
            total = part * weight if total is None else total + part * weight
        return total

    def predict(self, image: np.ndarray) -> Prediction:
        """Return the prediction for one uint8 image (28, 28), white ink on black."""
        return Prediction.from_probabilities(self.predict_proba(image)[0])


def load_model(path: str | Path) -> Model:
    """Load a model artifact written by ``model.train``."""
    started = time.perf_counter()
    data = joblib_load(path)
    if not isinstance(data, dict) or data.get("format") != ARTIFACT_FORMAT:
        raise ValueError(f"{path} is not a digits model artifact of format {ARTIFACT_FORMAT}")
    entries = data["members"]
    shared = None
    if all(entry["kind"] == "mlp" for entry in entries):
        # Perceptrons reading the same features share their first layer (mlp.SharedInput).
        shared = SharedInput.from_arrays([entry["arrays"] for entry in entries])
    if shared is not None:
        members = list(shared.perceptrons)
    else:
        members = [_member(entry) for entry in entries]
    return Model(
        members=tuple(members),
        weights=tuple(float(entry["weight"]) for entry in data["members"]),
        feature_set=data["feature_set"],
        version=data["version"],
        load_seconds=time.perf_counter() - started,
        shared=shared,
    )


def _member(entry: dict) -> Member:
    """Return one member of the artifact, ready to predict."""
    member = MEMBER_KINDS[entry["kind"]].from_dict(entry["arrays"])
    if isinstance(member, FlatForest):
        member.walk  # noqa: B018 - build the traversal tables now, at cold start
    return member
