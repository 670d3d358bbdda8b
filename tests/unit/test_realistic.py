"""The synthetic training inputs that need neither MNIST nor a model: printed digits, pens."""

from __future__ import annotations

import numpy as np
import pytest

from model import printed, redrawn


def test_printed_training_images_are_mnist_style_and_use_other_fonts():
    assert not set(printed.TRAIN_FONTS) & set(printed.TEST_FONTS)
    assert all((printed.font_dir() / name).is_file() for name in printed.TRAIN_FONTS)
    images, labels = printed.printed_digits(20, 1)
    assert images.shape == (20, 28, 28)
    assert images.dtype == np.uint8
    assert list(labels[:10]) == list(range(10))
    assert (images.reshape(20, -1).max(axis=1) == 255).all()
    assert images[:, 0, :].max() == 0


def test_unknown_pen_is_refused():
    with pytest.raises(ValueError, match="unknown pen"):
        redrawn.redrawn_digits(np.zeros((1, 28, 28), dtype=np.uint8), np.zeros(1), "crayon")
