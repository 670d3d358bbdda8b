"""What the model tells apart: the ten digits, and two kinds of what is not one digit."""

from __future__ import annotations

import numpy as np

# The model's classes: the ten digits, then what is not one digit, in two kinds that a number's
# search must tell apart. NOT_A_DIGIT: no digit at all (a fragment of one, a letter, a symbol, a
# scribble), to be left out. SEVERAL_DIGITS: two or three digits that touch, to be cut. A model of
# ten classes has neither.
DIGITS = 10
NOT_A_DIGIT = 10
SEVERAL_DIGITS = 11
CLASSES = 12


def class_probability(probabilities: np.ndarray, index: int) -> np.ndarray:
    """Return each row's probability of class ``index`` (0 for a model without that class)."""
    if probabilities.shape[-1] > index:
        return probabilities[..., index]
    return np.zeros(probabilities.shape[:-1])
