"""The perceptron's hidden layers: as the trainer's --hidden reads them, as the card words them,
and as a new perceptron is built with them."""

from __future__ import annotations

import numpy as np
import pytest

from model.card_text import hidden_layers_text
from model.finetune import new_perceptron
from model.fit import hidden_layers


def test_sizes_are_read_first_to_last():
    assert hidden_layers("800,256") == (800, 256)
    assert hidden_layers("32") == (32,)
    assert hidden_layers((800, 256)) == (800, 256)


@pytest.mark.parametrize("text", ["0", "800,0", "a", "800,,256"])
def test_a_size_that_is_no_positive_whole_number_is_refused(text):
    with pytest.raises(ValueError, match="positive whole numbers"):
        hidden_layers(text)


def test_the_card_words_one_layer_or_several():
    assert hidden_layers_text(800) == "one hidden layer of 800"  # an older model's metrics
    assert hidden_layers_text([800]) == "one hidden layer of 800"
    assert hidden_layers_text([800, 256]) == "hidden layers of 800 and 256"
    assert hidden_layers_text((64, 32, 16)) == "hidden layers of 64, 32 and 16"


def test_a_new_perceptron_has_a_layer_for_each_size_then_the_classes():
    perceptron = new_perceptron(20, (8, 4), seed=0, classes=12)
    assert [w.shape for w in perceptron.weights] == [(20, 8), (8, 4), (4, 12)]
    assert [b.shape for b in perceptron.biases] == [(8,), (4,), (12,)]
    probabilities = perceptron.predict_proba(np.zeros((3, 20), dtype=np.uint8))
    assert probabilities.shape == (3, 12)
    assert np.allclose(probabilities.sum(axis=1), 1)
