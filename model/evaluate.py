"""Figures of a model's probabilities against true labels: accuracy, per class, calibration."""

from __future__ import annotations

import itertools

import numpy as np

CALIBRATION_BINS = 15
# Confidence bands of the low-confidence table: how many answers fall in each, how many are right.
CONFIDENCE_BANDS = (0.0, 0.5, 0.7, 0.9, 0.99, 1.0)


def classification_metrics(labels: np.ndarray, predicted: np.ndarray, classes: int = 10) -> dict:
    """Return accuracy, per-class precision/recall and the confusion matrix (classes x classes).

    A model with the class "not a digit" (digits.classifier.inference.NOT_A_DIGIT) has eleven: a
    digit it refuses counts as wrong, in the matrix's last column.
    """
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    true_positive = np.diag(confusion)
    return {
        "accuracy": float(true_positive.sum() / confusion.sum()),
        "precision": [float(v) for v in true_positive / np.maximum(confusion.sum(axis=0), 1)],
        "recall": [float(v) for v in true_positive / np.maximum(confusion.sum(axis=1), 1)],
        "confusion_matrix": confusion.tolist(),
    }


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = CALIBRATION_BINS
) -> float:
    """Return the ECE: |accuracy - confidence| per equal-width confidence bin, weighted by size."""
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(right[members].mean() - confidence[members].mean())
    return float(error)


def reliability(probabilities: np.ndarray, labels: np.ndarray) -> list[dict]:
    """Return, per confidence band, how many answers fall in it and the fraction right."""
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == labels
    rows = []
    for low, high in itertools.pairwise(CONFIDENCE_BANDS):
        members = (confidence >= low) & ((confidence < high) | (high == 1.0))
        rows.append(
            {
                "low": low,
                "high": high,
                "count": int(members.sum()),
                "accuracy": float(right[members].mean()) if members.any() else None,
                "mean_confidence": float(confidence[members].mean()) if members.any() else None,
            }
        )
    return rows


def low_confidence_cases(probabilities: np.ndarray, labels: np.ndarray, count: int) -> list[dict]:
    """Return the ``count`` least confident answers: index, true digit, answer, confidence."""
    confidence = probabilities.max(axis=1)
    order = np.argsort(confidence, kind="stable")[:count]
    return [
        {
            "index": int(i),
            "label": int(labels[i]),
            "predicted": int(probabilities[i].argmax()),
            "confidence": float(confidence[i]),
            "second": int(np.argsort(probabilities[i])[-2]),
        }
        for i in order
    ]


def summary(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Return every figure the model card shows for one set of probabilities."""
    return {
        **classification_metrics(labels, probabilities.argmax(axis=1), probabilities.shape[1]),
        "ece": expected_calibration_error(probabilities, labels),
        "reliability": reliability(probabilities, labels),
        "low_confidence": low_confidence_cases(probabilities, labels, 12),
    }
