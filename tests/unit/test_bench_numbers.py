"""The numbers bench's photos show every digit of the number they name."""

import numpy as np
import pytest

from bench import number_lines


def _border(ink: np.ndarray) -> np.ndarray:
    return np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])


@pytest.mark.parametrize("angle", [-number_lines.TURN, number_lines.TURN])
def test_ink_filling_the_inset_is_never_turned_out_of_the_photo(angle):
    # The worst case: ink in every corner of the inset, turned as far as a photo is turned.
    height, width = number_lines.PHOTO_SHAPE
    inset = np.ones(
        (height - 2 * number_lines.TURN_MARGIN, width - 2 * number_lines.TURN_MARGIN), np.float32
    )
    ink = number_lines.turned(inset, angle)
    assert ink.shape == number_lines.PHOTO_SHAPE
    assert _border(ink).max() == 0
    # Turning resamples the ink but keeps all of it in the picture.
    assert ink.sum() == pytest.approx(inset.sum(), rel=0.01)


@pytest.mark.parametrize("seed", range(4))
def test_a_line_wider_than_the_frame_is_fitted_inside_it_and_turned(seed):
    ink = number_lines.turned_in_frame(
        np.ones((400, 2000), np.float32), np.random.default_rng(seed)
    )
    assert ink.shape == number_lines.PHOTO_SHAPE
    assert _border(ink).max() == 0
    assert ink.sum() > 0
