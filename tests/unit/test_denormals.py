"""Training flushes subnormal floats to zero on its own thread, and leaves the thread as it was."""

from __future__ import annotations

import platform

import numpy as np

from model import denormals

SUBNORMAL = np.float32(1e-39)  # under float32's smallest normal number, 1.18e-38


def test_x86_64_linux_can_flush():
    on_x86_linux = platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64")
    assert denormals.available() == on_x86_linux


def test_inside_the_block_subnormals_are_zero_and_after_it_they_are_back():
    assert SUBNORMAL * np.float32(1) == SUBNORMAL
    with denormals.flushed():
        inside = SUBNORMAL * np.float32(1), np.float32(1e-30) * np.float32(1e-10)
        normal = np.float32(1e-30) * np.float32(1e3)
    assert SUBNORMAL * np.float32(1) == SUBNORMAL
    assert normal == np.float32(1e-27)  # normal numbers are untouched
    if denormals.available():
        assert inside == (0, 0)  # read as zero (DAZ) and made zero (FTZ)
    else:
        assert inside[0] == SUBNORMAL


def test_a_matrix_product_with_subnormal_weights_is_zero_inside():
    weights = np.full((64, 8), SUBNORMAL)
    inputs = np.ones((4, 64), np.float32)
    with denormals.flushed():
        product = inputs @ weights
    if denormals.available():
        assert not product.any()
    assert (inputs @ weights).all()  # 64 subnormals add up to a normal number again


def test_the_block_restores_the_thread_when_it_raises():
    try:
        with denormals.flushed():
            raise KeyError("inside")
    except KeyError:
        pass
    assert SUBNORMAL * np.float32(1) == SUBNORMAL
