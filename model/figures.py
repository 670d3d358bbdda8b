"""A trained model's figures for its card: MNIST test raw and as served (and each split of it),
held-out images of no digit or several, and the realistic kinds of the bench's reporting split."""

from __future__ import annotations

import numpy as np

from digits.classes import DIGITS
from digits.classifier.inference import Model
from model import evaluate, mnist
from model.refusal_data import class_of_kind


def figures(
    model: Model,
    data: mnist.Mnist,
    served_test: np.ndarray,
    realistic: int,
    not_digits: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Return a model's figures: MNIST test raw and as served, each realistic kind (the bench's
    reporting split), and, given held-out ``not_digits`` (images and their classes), how many it
    refuses and the confusion matrix of every class."""
    served_probabilities = model.predict_proba(served_test)
    result = {
        "test": evaluate.summary(model.predict_proba(data.test_images), data.test_labels),
        "test_served": evaluate.summary(served_probabilities, data.test_labels),
    }
    from bench import heldout

    predicted = served_probabilities.argmax(axis=1)
    result["test_served_splits"] = {
        split.name: {
            "accuracy": float(
                np.mean(predicted[split.mnist_rows] == data.test_labels[split.mnist_rows])
            ),
            "refused": float(np.mean(predicted[split.mnist_rows] >= DIGITS)),
        }
        for split in (heldout.TUNE, heldout.REPORT)
    }
    if not_digits is not None and len(not_digits[0]) and served_probabilities.shape[1] > DIGITS:
        images, classes = not_digits
        refused = model.predict_proba(images)
        result["not_digits"] = {
            "n": len(images),
            "refused": float(np.mean(refused.argmax(axis=1) >= DIGITS)),
            "class_right": float(np.mean(refused.argmax(axis=1) == classes)),
        }
        result["with_not_digits"] = evaluate.classification_metrics(
            np.concatenate([data.test_labels, classes]),
            np.concatenate([served_probabilities, refused]).argmax(axis=1),
            refused.shape[1],
        )
    if realistic:
        from bench import realistic as kinds  # renders with fonts from a dev dependency

        result["realistic_split"] = heldout.REPORT.name
        result["realistic"] = {}
        for name, generate in kinds.KINDS.items():
            samples = generate(realistic, heldout.REPORT.seed, heldout.REPORT.name)
            result["realistic"][name] = kinds.accuracy(model, samples)
    return result


# Held-out images of "not a digit" the card counts refusals on: drawn from MNIST test's reporting
# half, in the test fonts, with a seed no training set uses.
CARD_NOT_DIGITS = 3000
CARD_NOT_DIGITS_SEED = 2027


def held_out_not_digits(data: mnist.Mnist, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``count`` images of no digit or several, never trained on, and their classes."""
    if not count:
        return np.zeros((0, 28, 28), dtype=np.uint8), np.zeros(0, dtype=np.int64)
    from bench import heldout
    from model.not_digits import not_digit_images

    rows = data.test_images[heldout.REPORT.mnist_rows]
    images, kinds = not_digit_images(count, CARD_NOT_DIGITS_SEED, rows, split="test")
    return images, np.asarray([class_of_kind(kind) for kind in kinds], dtype=np.int64)
