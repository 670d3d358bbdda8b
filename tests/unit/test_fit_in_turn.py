"""The perceptron's distorted copies, one an epoch in turn (model.fit.fit_mlp's ``in_turn``)."""

from __future__ import annotations

import numpy as np
import pytest

from model import fit


def rows(seed: int, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Return uint8 features (n, 12) of three classes, each class bright in its own columns."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    features = rng.integers(0, 60, (n, 12)).astype(np.uint8)
    for label in range(3):
        features[labels == label, label * 4 : label * 4 + 4] += 180
    return features, labels


def fitted(x, y, in_turn=(), epochs: int = 3):
    return fit.fit_mlp(
        x, y, (8,), epochs, seed=0, learning_rate=1e-2, batch_size=16, in_turn=in_turn
    )


def test_one_set_in_turn_is_the_same_network_as_training_on_it_every_epoch():
    (x, y), (extra_x, extra_y) = rows(1), rows(2)
    together = fitted(np.vstack([x, extra_x]), np.concatenate([y, extra_y]))
    in_turn = fitted(x, y, [(extra_x, extra_y)])
    for a, b in zip(
        together.coefs_ + together.intercepts_, in_turn.coefs_ + in_turn.intercepts_, strict=True
    ):
        assert np.array_equal(a, b)


def test_each_epoch_adds_the_next_set_in_turn(monkeypatch):
    (x, y), first, second = rows(1), rows(2), rows(3)
    seen: list[np.ndarray] = []
    real_fit = fit.MLPClassifier.fit

    def spy(self, inputs, labels):
        seen.append(inputs[len(x) :])
        return real_fit(self, inputs, labels)

    monkeypatch.setattr(fit.MLPClassifier, "fit", spy)
    fitted(x, y, [first, second], epochs=3)
    expected = [first, second, first]
    assert len(seen) == 3
    for added, (features, _) in zip(seen, expected, strict=True):
        assert np.array_equal(added, fit.mlp_inputs(features))


@pytest.mark.parametrize("copies", [0, -1])
def test_fewer_than_one_distorted_copy_is_refused(copies):
    from model import train

    images, labels = np.zeros((2, 28, 28), dtype=np.uint8), np.zeros(2)
    with pytest.raises(ValueError, match="at least 1"):
        train.extra_mlp_images(images, labels, "served+distorted", 1, copies)
